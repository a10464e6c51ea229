// The queries that read every running job's /proc (MEMALL, STATUSALL's
// detail) or format much of its history (USAGEALL): answered at once for a
// few jobs, from the thread pool for many, and the same either way.
#include "worker/listener/queries.h"

#include <unistd.h>

#include <ctime>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "shm/job_table.h"
#include "tests/unit/shm/test_segment.h"
#include "tests/unit/worker/listener/listener_parts.h"

namespace backend::worker {
namespace {

using protocol::CoreCommand;
using testing::unframed;

constexpr size_t kMany = Queries::kProcReadsOnLoop + 1;
constexpr int64_t kNow = 1'800'000'000;

// The stand-in for /proc in the usage samples: every process has used
// g_cpu_seconds of CPU.
double g_cpu_seconds = 0;
std::optional<ProcUsage> fake_usage(pid_t) { return ProcUsage{4096 * 1024, g_cpu_seconds}; }

class QueriesTest : public ::testing::Test {
 protected:
  QueriesTest() : seg_("queries", {kMany + 8, 8192, 8192}), queries_(seg_.seg), usage_(fake_usage) {
    uv_loop_init(&loop_);
    queries_.set_usage(&usage_);
  }
  ~QueriesTest() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  // `running` jobs up as this test's own process (its /proc is real), and
  // one more that is down.
  void add_jobs(size_t running) {
    for (size_t i = 0; i < running; ++i) {
      auto slot = seg_.seg.table().put("up" + std::to_string(i), "{}", 20);
      ASSERT_TRUE(slot);
      seg_.seg.table().mark_started(*slot, getpid(), 1, kNow, 0, shm::StartReason::kManual);
    }
    ASSERT_TRUE(seg_.seg.table().put("down", "{}", 20));
  }

  // The reply, and whether it came at once.
  std::pair<std::string, bool> ask(CoreCommand command, const char* params = "{}") {
    rapidjson::Document p;
    p.Parse(params);
    std::string out, later;
    int calls = 0;
    bool now = queries_.answer(command, "", p, out, [&](std::string framed) {
      ++calls;
      later = std::move(framed);
    });
    if (now) {
      EXPECT_EQ(calls, 0);
      return {unframed(out), true};
    }
    EXPECT_TRUE(out.empty());
    uv_run(&loop_, UV_RUN_DEFAULT);  // until the pool's work is back
    EXPECT_EQ(calls, 1);
    return {unframed(later), false};
  }

  static rapidjson::Document data_of(const std::string& reply) {
    rapidjson::Document d;
    d.Parse(reply.c_str());
    EXPECT_TRUE(d.IsObject() && d.HasMember("data") && d["data"].IsObject()) << reply;
    return d;
  }

  shm::testing::ScopedSegment seg_;
  Queries queries_;
  dashboard::UsageHistory usage_;
  uv_loop_t loop_;
};

TEST_F(QueriesTest, MemAllOfAFewRunningJobsIsAnsweredAtOnce) {
  queries_.set_pool(&loop_);
  add_jobs(Queries::kProcReadsOnLoop);
  auto [reply, now] = ask(CoreCommand::kMemAll);
  EXPECT_TRUE(now);
  auto d = data_of(reply);
  EXPECT_EQ(d["data"].MemberCount(), Queries::kProcReadsOnLoop) << "the job that is down has no memory";
  EXPECT_FALSE(d["data"].HasMember("down"));
  EXPECT_GT(d["data"]["up0"].GetInt64(), 0);
}

TEST_F(QueriesTest, MemAllOfManyRunningJobsIsAnsweredFromThePool) {
  queries_.set_pool(&loop_);
  add_jobs(kMany);
  auto [reply, now] = ask(CoreCommand::kMemAll);
  EXPECT_FALSE(now);
  auto d = data_of(reply);
  EXPECT_EQ(d["data"].MemberCount(), kMany);
  for (const auto& m : d["data"].GetObject()) EXPECT_GT(m.value.GetInt64(), 0) << m.name.GetString();
}

TEST_F(QueriesTest, WithoutAPoolManyAreAnsweredAtOnce) {
  add_jobs(kMany);
  auto [reply, now] = ask(CoreCommand::kMemAll);
  EXPECT_TRUE(now);
  EXPECT_EQ(data_of(reply)["data"].MemberCount(), kMany);
}

// The detail's CPU comes from the usage samples, which only the loop may
// read: taken with the table when asked, not read on the pool.
TEST_F(QueriesTest, StatusAllDetailOfManyComesFromThePoolWithTheSampledCpu) {
  queries_.set_pool(&loop_);
  add_jobs(kMany);
  g_cpu_seconds = 10;
  usage_.sample(seg_.seg.table(), 100, kNow);
  g_cpu_seconds = 10.5;
  usage_.sample(seg_.seg.table(), 101, kNow + 1);  // half a core over the second between
  auto [reply, now] = ask(CoreCommand::kStatusAll, R"({"detail":true})");
  EXPECT_FALSE(now);
  auto d = data_of(reply);
  ASSERT_EQ(d["data"].MemberCount(), kMany + 1);
  const auto& up = d["data"]["up3"];
  EXPECT_STREQ(up["state"].GetString(), "UP");
  EXPECT_EQ(up["pid"].GetInt(), getpid());
  EXPECT_GT(up["mem"].GetInt64(), 0) << "read from /proc on the pool";
  EXPECT_DOUBLE_EQ(up["cpu"].GetDouble(), 50.0);
  const auto& down = d["data"]["down"];
  EXPECT_STREQ(down["state"].GetString(), "DOWN");
  EXPECT_TRUE(down["mem"].IsNull());
  EXPECT_TRUE(down["cpu"].IsNull());
}

TEST_F(QueriesTest, StatusAllDetailOfAFewIsTheSameAnswerAtOnce) {
  queries_.set_pool(&loop_);
  add_jobs(2);
  auto [reply, now] = ask(CoreCommand::kStatusAll, R"({"detail":true})");
  EXPECT_TRUE(now);
  auto d = data_of(reply);
  EXPECT_EQ(d["data"].MemberCount(), 3u);
  EXPECT_GT(d["data"]["up1"]["mem"].GetInt64(), 0);
  EXPECT_TRUE(d["data"]["up1"]["cpu"].IsNull()) << "no usage sampled yet";
  // A detail that is no boolean is refused at once, however many jobs run.
  auto [bad, bad_now] = ask(CoreCommand::kStatusAll, R"({"detail":"yes please"})");
  EXPECT_TRUE(bad_now);
  EXPECT_EQ(bad, R"x({"code":"FAILED","error":"detail must be a boolean (true or false)"})x");
}

// USAGEALL formats two values a point a job: past kUsageValuesOnLoop it is
// built on the pool, the same answer.
TEST_F(QueriesTest, UsageAllOfManyPointsComesFromThePoolAsItWouldAtOnce) {
  add_jobs(kMany);
  // USAGEALL's points end at this minute of the wall clock.
  const int64_t wall = std::time(nullptr);
  g_cpu_seconds = 10;
  usage_.sample(seg_.seg.table(), 100, wall);
  g_cpu_seconds = 10.5;
  usage_.sample(seg_.seg.table(), 101, wall);
  const size_t points = Queries::kUsageValuesOnLoop / (2 * (kMany + 1)) + 1;
  const std::string params = R"({"points":)" + std::to_string(points) + "}";
  auto [at_once, now] = ask(CoreCommand::kUsageAll, params.c_str());
  EXPECT_TRUE(now) << "without a pool";
  queries_.set_pool(&loop_);
  auto [pooled, pooled_now] = ask(CoreCommand::kUsageAll, params.c_str());
  EXPECT_FALSE(pooled_now);
  if (std::time(nullptr) / 60 == wall / 60) {  // else a minute on
    EXPECT_EQ(pooled, at_once);
  }
  auto d = data_of(pooled);
  ASSERT_EQ(d["data"].MemberCount(), kMany + 1);
  // The sampled minute is the last point, or the one before if the clock
  // turned a minute meanwhile.
  const auto& up = d["data"]["up0"];
  ASSERT_EQ(up["mem"].Size(), points);
  size_t at = up["mem"][points - 1].IsNull() ? points - 2 : points - 1;
  EXPECT_EQ(up["mem"][at].GetInt64(), 4096);
  EXPECT_DOUBLE_EQ(up["cpu"][at].GetDouble(), 50.0);
  EXPECT_TRUE(up["mem"][0].IsNull());
  EXPECT_TRUE(d["data"]["down"]["mem"][at].IsNull());
  auto [few, few_now] = ask(CoreCommand::kUsageAll, R"({"points":2})");
  EXPECT_TRUE(few_now) << (kMany + 1) * 4 << " values are formatted at once";
  EXPECT_EQ(data_of(few)["data"]["up0"]["mem"].Size(), 2u);
  auto [bad, bad_now] = ask(CoreCommand::kUsageAll, R"({"points":1441})");
  EXPECT_TRUE(bad_now);
  EXPECT_EQ(bad, R"x({"code":"FAILED","error":"points must be an integer from 1 to 1440"})x");
}

}  // namespace
}  // namespace backend::worker
