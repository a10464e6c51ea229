#include "worker/listener/dashboard/usage_history.h"

#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "shm/job_table.h"
#include "tests/unit/shm/test_segment.h"

namespace backend::worker::dashboard {
namespace {

using shm::testing::ScopedSegment;

// The stand-in for /proc: what each pid "uses"; a pid not here is gone.
std::map<pid_t, ProcUsage>& fake_proc() {
  static std::map<pid_t, ProcUsage> usage;
  return usage;
}
std::optional<ProcUsage> fake_reader(pid_t pid) {
  auto it = fake_proc().find(pid);
  if (it == fake_proc().end()) return std::nullopt;
  return it->second;
}

constexpr int64_t kStep = UsageHistory::kStepSeconds;
// A minute's start, far from 0 as Unix time is.
constexpr int64_t kMinute = 29'000'000;  // minutes since the epoch
constexpr int64_t T = kMinute * kStep;

class UsageHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_proc().clear(); }
  void TearDown() override { fake_proc().clear(); }

  uint32_t add(const std::string& name) {
    auto slot = seg.seg.table().put(name, "{}", 20);
    EXPECT_TRUE(slot) << name;
    return slot.value_or(0);
  }
  void run(uint32_t slot, pid_t pid, uint64_t ticks = 7) {
    seg.seg.table().mark_started(slot, pid, ticks, T, 0, shm::StartReason::kManual);
  }
  static void uses(pid_t pid, uint64_t rss_kb, double cpu_s) { fake_proc()[pid] = ProcUsage{rss_kb * 1024, cpu_s}; }
  // "a" running as pid 1001 (100 kB, 1 CPU second), sampled at T, and
  // "never", which never ran: returns a's slot.
  uint32_t one_sampled_one_never_run() {
    uint32_t a = add("a");
    add("never");
    run(a, 1001);
    uses(1001, 100, 1.0);
    history.sample(seg.seg.table(), 100.0, T);
    return a;
  }

  rapidjson::Document day(const std::string& name, int64_t now_s) {
    std::string out;
    history.append_day(out, name, now_s);
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size());
    EXPECT_FALSE(d.HasParseError()) << out;
    return d;
  }
  rapidjson::Document recent(const std::string& name, size_t points, int64_t now_s) {
    std::string out;
    history.append_recent(out, name, points, now_s);
    rapidjson::Document d;
    d.Parse(out.c_str(), out.size());
    EXPECT_FALSE(d.HasParseError()) << out;
    return d;
  }
  // The last `k` values of a series as text ("null" or the number).
  static std::vector<std::string> tail(const rapidjson::Value& series, size_t k) {
    std::vector<std::string> out;
    size_t n = series.Size();
    for (size_t i = n - std::min(k, n); i < n; ++i)
      out.push_back(series[i].IsNull() ? "null" : std::to_string(series[i].GetDouble()));
    return out;
  }
  static size_t non_null(const rapidjson::Value& series) {
    size_t n = 0;
    for (const auto& v : series.GetArray()) n += !v.IsNull();
    return n;
  }

  ScopedSegment seg{"usage"};
  UsageHistory history{fake_reader};
};

TEST_F(UsageHistoryTest, CpuIsTheShareOfACoreBetweenTwoSamplesAndUnknownAtTheFirst) {
  uint32_t a = add("a");
  run(a, 1001);
  uses(1001, 2048, 1.0);
  history.sample(seg.seg.table(), 100.0, T);
  auto first = history.latest("a");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->mem_kb, 2048u);
  EXPECT_FALSE(first->cpu) << "one read says nothing of a rate";
  uses(1001, 4096, 3.0);  // 2 s of CPU in 10 s
  history.sample(seg.seg.table(), 110.0, T + 10);
  auto second = history.latest("a");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->mem_kb, 4096u);
  ASSERT_TRUE(second->cpu);
  EXPECT_NEAR(*second->cpu, 20.0, 1e-9);
  uses(1001, 4096, 23.0);  // two cores' worth: 200 %
  history.sample(seg.seg.table(), 120.0, T + 20);
  ASSERT_TRUE(history.latest("a") && history.latest("a")->cpu);
  EXPECT_NEAR(*history.latest("a")->cpu, 200.0, 1e-9);
  EXPECT_EQ(history.jobs(), 1u);
}

TEST_F(UsageHistoryTest, ANewProcessStartsItsCpuAfresh) {
  uint32_t a = add("a");
  run(a, 1001, 7);
  uses(1001, 100, 50.0);
  history.sample(seg.seg.table(), 100.0, T);
  // Restarted: another pid, whose CPU time starts from 0 again.
  run(a, 1002, 9);
  uses(1002, 100, 0.5);
  history.sample(seg.seg.table(), 110.0, T + 10);
  ASSERT_TRUE(history.latest("a"));
  EXPECT_FALSE(history.latest("a")->cpu) << "a rate across two processes means nothing";
  // Same pid, other start time: a reused pid is another process too.
  run(a, 1002, 11);
  uses(1002, 100, 0.1);
  history.sample(seg.seg.table(), 120.0, T + 20);
  ASSERT_TRUE(history.latest("a"));
  EXPECT_FALSE(history.latest("a")->cpu);
  uses(1002, 100, 1.1);
  history.sample(seg.seg.table(), 130.0, T + 30);
  ASSERT_TRUE(history.latest("a") && history.latest("a")->cpu);
  EXPECT_NEAR(*history.latest("a")->cpu, 10.0, 1e-9);
}

// The listener takes the jobs from the table on its loop, reads /proc on
// the thread pool and files the result back on the loop: what is filed is
// what was taken and read, whatever the table did meanwhile.
TEST_F(UsageHistoryTest, ASampleTakenThenReadElsewhereIsFiledAsTaken) {
  uint32_t a = add("a");
  add("b");  // never runs
  run(a, 1001);
  uses(1001, 2048, 1.0);
  UsageHistory::Probes probes = UsageHistory::take(seg.seg.table());
  ASSERT_EQ(probes.size(), 2u);
  EXPECT_FALSE(probes[0].usage || probes[1].usage) << "take() reads no process";
  run(a, 1002);  // restarted while the sample is read: the taken pid counts
  uses(1002, 9999, 0.0);
  const UsageHistory& reading = history;  // read() changes nothing of the history
  reading.read(probes);
  EXPECT_FALSE(history.latest("a")) << "nothing filed before record()";
  history.record(probes, 100.0, T);
  ASSERT_TRUE(history.latest("a"));
  EXPECT_EQ(history.latest("a")->mem_kb, 2048u);
  EXPECT_FALSE(history.latest("b"));
  EXPECT_EQ(history.jobs(), 2u);
}

TEST_F(UsageHistoryTest, AJobThatIsDownOrUnreadableHasNoLatest) {
  uint32_t a = one_sampled_one_never_run();
  EXPECT_TRUE(history.latest("a"));
  EXPECT_FALSE(history.latest("never"));
  EXPECT_EQ(history.jobs(), 2u) << "every job of the table is tracked";
  fake_proc().clear();  // its process vanished before the supervisor saw it
  history.sample(seg.seg.table(), 110.0, T + 10);
  EXPECT_FALSE(history.latest("a"));
  uses(1001, 100, 1.0);
  seg.seg.table().record_exit(a, 0, T + 15);
  history.sample(seg.seg.table(), 120.0, T + 20);
  EXPECT_FALSE(history.latest("a")) << "a job that is down has no usage, whatever its old pid does";
  EXPECT_FALSE(history.latest("nosuch"));
}

TEST_F(UsageHistoryTest, AppendDayHas1440PointsEndingAtThisMinute) {
  uint32_t a = add("a");
  run(a, 1001);
  uses(1001, 1000, 1.0);
  history.sample(seg.seg.table(), 100.0, T + 5);
  uses(1001, 1500, 2.5);
  history.sample(seg.seg.table(), 115.0, T + 20);  // same minute: its value is the newest
  auto d = day("a", T + 59);
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(d["step"].GetInt64(), 60);
  EXPECT_EQ(d["end"].GetInt64(), T) << "the start of now's minute";
  ASSERT_TRUE(d["mem"].IsArray() && d["cpu"].IsArray());
  EXPECT_EQ(d["mem"].Size(), UsageHistory::kPoints);
  EXPECT_EQ(d["cpu"].Size(), UsageHistory::kPoints);
  EXPECT_EQ(UsageHistory::kPoints, 1440u);
  EXPECT_EQ(d["mem"][1439].GetDouble(), 1500.0);
  EXPECT_NEAR(d["cpu"][1439].GetDouble(), 10.0, 0.051);
  EXPECT_EQ(non_null(d["mem"]), 1u) << "one minute sampled";
  // A minute later without a sample, it is the second to last.
  auto next = day("a", T + 60);
  EXPECT_EQ(next["end"].GetInt64(), T + 60);
  EXPECT_TRUE(next["mem"][1439].IsNull());
  EXPECT_EQ(next["mem"][1438].GetDouble(), 1500.0);
  // A day on, it has left the window.
  auto later = day("a", T + 1440 * 60);
  EXPECT_EQ(non_null(later["mem"]), 0u);
  auto almost = day("a", T + 1439 * 60);
  EXPECT_EQ(almost["mem"][0].GetDouble(), 1500.0);
}

TEST_F(UsageHistoryTest, FirstSampleOfAMinuteWithUnknownCpuIsNull) {
  uint32_t a = add("a");
  run(a, 1001);
  uses(1001, 700, 1.0);
  history.sample(seg.seg.table(), 100.0, T);
  auto d = day("a", T);
  EXPECT_EQ(d["mem"][1439].GetDouble(), 700.0);
  EXPECT_TRUE(d["cpu"][1439].IsNull()) << "no rate after a single read";
}

TEST_F(UsageHistoryTest, MinutesWithoutSamplesAreNull) {
  uint32_t a = add("a");
  run(a, 1001);
  uses(1001, 1000, 1.0);
  history.sample(seg.seg.table(), 100.0, T);
  uses(1001, 2000, 1.0);
  history.sample(seg.seg.table(), 400.0, T + 5 * 60);  // five minutes with no sample
  auto d = day("a", T + 5 * 60);
  EXPECT_EQ(tail(d["mem"], 6),
            (std::vector<std::string>{"1000.000000", "null", "null", "null", "null", "2000.000000"}));
}

TEST_F(UsageHistoryTest, ADayOldValueNeverShowsAsToday) {
  uint32_t a = add("a");
  run(a, 1001);
  uses(1001, 1000, 1.0);
  history.sample(seg.seg.table(), 100.0, T);
  uses(1001, 1100, 1.0);
  history.sample(seg.seg.table(), 160.0, T + 60);
  // A day and a minute later (the listener was stopped meanwhile, say).
  uses(1001, 3000, 1.0);
  int64_t now = T + 60 + 1440 * 60;
  history.sample(seg.seg.table(), 200000.0, now);
  auto d = day("a", now);
  EXPECT_EQ(non_null(d["mem"]), 1u) << "only this minute's sample is within the day";
  EXPECT_EQ(d["mem"][1439].GetDouble(), 3000.0);
  // Much longer gaps too.
  uses(1001, 4000, 1.0);
  int64_t far = now + 10 * 1440 * 60 + 30 * 60;
  history.sample(seg.seg.table(), 2000000.0, far);
  auto f = day("a", far);
  EXPECT_EQ(non_null(f["mem"]), 1u);
  EXPECT_EQ(f["mem"][1439].GetDouble(), 4000.0);
}

TEST_F(UsageHistoryTest, MinutesAJobWasDownAreNull) {
  uint32_t a = add("a");
  run(a, 1001);
  uses(1001, 1000, 1.0);
  history.sample(seg.seg.table(), 100.0, T);
  seg.seg.table().record_exit(a, 0, T + 30);
  history.sample(seg.seg.table(), 160.0, T + 60);
  history.sample(seg.seg.table(), 220.0, T + 120);
  run(a, 1002, 8);
  uses(1002, 500, 0.0);
  history.sample(seg.seg.table(), 280.0, T + 180);
  auto d = day("a", T + 180);
  EXPECT_EQ(tail(d["mem"], 4), (std::vector<std::string>{"1000.000000", "null", "null", "500.000000"}));
}

TEST_F(UsageHistoryTest, DeletedJobsTakeTheirHistoryWithThem) {
  uint32_t a = add("a");
  uint32_t b = add("b");
  run(a, 1001);
  run(b, 1002);
  uses(1001, 100, 1.0);
  uses(1002, 200, 1.0);
  history.sample(seg.seg.table(), 100.0, T);
  EXPECT_EQ(history.jobs(), 2u);
  ASSERT_TRUE(history.latest("b"));
  seg.seg.table().remove("b");
  history.sample(seg.seg.table(), 110.0, T + 10);
  EXPECT_EQ(history.jobs(), 1u);
  EXPECT_FALSE(history.latest("b"));
  EXPECT_TRUE(history.latest("a"));
  auto d = day("b", T + 10);
  EXPECT_EQ(d["mem"].Size(), 1440u) << "an unknown job still has a day, of nulls";
  EXPECT_EQ(non_null(d["mem"]), 0u);
  EXPECT_EQ(non_null(d["cpu"]), 0u);
  // Added again under the same name: a new history.
  uint32_t again = add("b");
  run(again, 1003);
  uses(1003, 300, 1.0);
  history.sample(seg.seg.table(), 120.0, T + 20);
  auto fresh = day("b", T + 20);
  EXPECT_EQ(non_null(fresh["mem"]), 1u);
  EXPECT_EQ(fresh["mem"][1439].GetDouble(), 300.0);
}

TEST_F(UsageHistoryTest, AppendRecentGivesTheLastNPoints) {
  uint32_t a = add("a");
  run(a, 1001);
  for (int m = 0; m < 10; ++m) {
    uses(1001, 100 + uint64_t(m), double(m));
    history.sample(seg.seg.table(), 100.0 + 60 * m, T + 60 * m);
  }
  int64_t now = T + 9 * 60 + 30;
  auto r = recent("a", 5, now);
  ASSERT_TRUE(r.IsObject());
  EXPECT_FALSE(r.HasMember("step")) << "only the series";
  ASSERT_EQ(r["mem"].Size(), 5u);
  ASSERT_EQ(r["cpu"].Size(), 5u);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(r["mem"][k].GetDouble(), 105.0 + k) << k;
    EXPECT_NEAR(r["cpu"][k].GetDouble(), 100.0 / 60, 0.051) << k;
  }
  auto one = recent("a", 1, now);
  ASSERT_EQ(one["mem"].Size(), 1u);
  EXPECT_EQ(one["mem"][0].GetDouble(), 109.0);
  auto all = recent("a", 100000, now);
  EXPECT_EQ(all["mem"].Size(), UsageHistory::kPoints) << "never more than a day";
  EXPECT_EQ(non_null(all["mem"]), 10u);
  auto unknown = recent("nosuch", 3, now);
  EXPECT_EQ(tail(unknown["mem"], 3), (std::vector<std::string>{"null", "null", "null"}));
}

// USAGEALL of many jobs is built on the thread pool from a view taken on
// the loop, while the loop goes on sampling: the view keeps what it was
// taken with, and the history what was sampled after.
TEST_F(UsageHistoryTest, AViewKeepsThePointsItWasTakenWithWhileTheHistoryMovesOn) {
  one_sampled_one_never_run();
  auto view = history.recent({"a", "never", "nosuch"}, 3, T + 30);
  ASSERT_EQ(view.size(), 3u);
  EXPECT_EQ(view.name(1), "never");
  uses(1001, 200, 1.0);
  history.sample(seg.seg.table(), 130.0, T + 30);  // the same minute, written over
  uses(1001, 300, 1.0);
  history.sample(seg.seg.table(), 160.0, T + 60);  // the next
  seg.seg.table().remove("a");
  auto text = [&](size_t i) {
    std::string out;
    view.append(out, i);
    return out;
  };
  EXPECT_EQ(text(0), R"({"mem":[null,null,100],"cpu":[null,null,null]})");
  EXPECT_EQ(text(1), R"({"mem":[null,null,null],"cpu":[null,null,null]})");
  EXPECT_EQ(text(2), text(1)) << "a job the history never saw";
  auto now = recent("a", 3, T + 60);
  EXPECT_EQ(tail(now["mem"], 3), (std::vector<std::string>{"null", "200.000000", "300.000000"}))
      << "the history wrote its own copy of the hour the view held";
  history.sample(seg.seg.table(), 190.0, T + 90);
  EXPECT_EQ(history.jobs(), 1u) << "a deleted job's history goes, whatever a view still holds";
  EXPECT_EQ(text(0), R"({"mem":[null,null,100],"cpu":[null,null,null]})");
}

// A view of a whole day holds every hour of it, across the wrap of the
// day's ring of hours.
TEST_F(UsageHistoryTest, AViewOfADayHasEveryHourOfIt) {
  uint32_t a = add("a");
  run(a, 1001);
  const int64_t hour = (T / 3600 + 1) * 3600;
  for (int64_t h = 0; h < 30; ++h) {  // a point at ten past every hour, for 30 hours
    uses(1001, 1000 + uint64_t(h), 1.0);
    history.sample(seg.seg.table(), 100.0 + 3600.0 * double(h), hour + 3600 * h + 600);
  }
  const int64_t now = hour + 3600 * 29 + 600;
  auto view = history.recent({"a"}, UsageHistory::kPoints, now);
  std::string out;
  view.append(out, 0);
  rapidjson::Document d;
  d.Parse(out.c_str());
  ASSERT_TRUE(d.IsObject()) << out;
  EXPECT_EQ(non_null(d["mem"]), 24u) << "one point an hour over the last day";
  EXPECT_EQ(d["mem"][1439].GetDouble(), 1029.0);
  EXPECT_EQ(d["mem"][1439 - 60].GetDouble(), 1028.0);
  EXPECT_EQ(d["mem"][1439 - 23 * 60].GetDouble(), 1006.0);
  std::string day_text;
  history.append_recent(day_text, "a", UsageHistory::kPoints, now);
  EXPECT_EQ(day_text, out) << "USAGE's series and USAGEALL's are the same";
}

// Memory comes an hour of points at a time as a job's minutes do: 10,000
// jobs started a minute ago hold an hour each, not a day each; a job that
// ran for days holds at most the day.
TEST_F(UsageHistoryTest, PointsAreHeldAnHourAtATimeAndNeverMoreThanADay) {
  uint32_t a = add("a");
  uint32_t b = add("b");
  run(a, 1001);
  run(b, 1002);
  uses(1001, 100, 1.0);
  uses(1002, 200, 1.0);
  const int64_t hour = (T / 3600 + 1) * 3600;  // the start of an hour
  history.sample(seg.seg.table(), 100.0, hour);
  EXPECT_EQ(history.hours_held(), 2u) << "one hour for each job";
  history.sample(seg.seg.table(), 110.0, hour + 59 * 60);
  EXPECT_EQ(history.hours_held(), 2u) << "the same hour of the day";
  history.sample(seg.seg.table(), 120.0, hour + 60 * 60);
  EXPECT_EQ(history.hours_held(), 4u) << "the next hour";
  // Three days of minutes, sampled every 10 minutes.
  for (int64_t m = 70; m < 3 * 1440; m += 10) history.sample(seg.seg.table(), 100.0 + 60.0 * m, hour + 60 * m);
  EXPECT_EQ(history.hours_held(), 2u * 24);
  auto d = day("a", hour + 60 * (3 * 1440 - 10));
  EXPECT_EQ(non_null(d["mem"]), 144u) << "a point every 10 minutes of the last day";
}

// CPU is kept in tenths of a percent, what USAGE prints; beyond 6,553.4 %
// (65 cores busy) it is cut there rather than wrapped.
TEST_F(UsageHistoryTest, CpuKeepsTheTenthItIsPrintedWith) {
  uint32_t a = add("a");
  run(a, 1001);
  uses(1001, 100, 1.0);
  history.sample(seg.seg.table(), 100.0, T);
  uses(1001, 100, 1.0 + 12.34);
  history.sample(seg.seg.table(), 200.0, T + 60);
  uses(1001, 100, 1.0 + 12.34 + 100000.0);
  history.sample(seg.seg.table(), 210.0, T + 120);
  auto d = day("a", T + 120);
  EXPECT_DOUBLE_EQ(d["cpu"][1438].GetDouble(), 12.3);
  EXPECT_DOUBLE_EQ(d["cpu"][1439].GetDouble(), 6553.4);
}

}  // namespace
}  // namespace backend::worker::dashboard
