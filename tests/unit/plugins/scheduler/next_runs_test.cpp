#include "plugins/scheduler/next_runs.h"

#include <cstdlib>
#include <ctime>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>


namespace backend::plugins::scheduler {
namespace {

class SchedulerNextRuns : public ::testing::Test {
 protected:
  void SetUp() override { zone("UTC"); }
  void TearDown() override { zone("UTC"); }

  static void zone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

  static Schedule schedule(const char* json, bool enable = true) {
    rapidjson::Document doc;
    doc.Parse(json);
    std::string error;
    auto c = parse_condition(doc, error);
    EXPECT_TRUE(c) << json << ": " << error;
    Schedule s;
    s.enable = enable;
    s.condition_json = json;
    if (c) s.condition = *c;
    return s;
  }

  // 2026-03-02 00:00:00 UTC, the start of an hour.
  static constexpr time_t kHour = 1'772'409'600;
};

TEST_F(SchedulerNextRuns, EveryFiveMinutesIsTwelveRunsAnHour) {
  Schedules all;
  all["web"]["u1"] = schedule(R"({"cron": "*/5 * * * *"})");
  auto runs = next_runs(all, kHour, kHour + 3600, 1000);
  ASSERT_EQ(runs.size(), 12u);
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].at, kHour + 300 * time_t(i + 1)) << i << ": strictly after from, up to and with until";
    EXPECT_EQ(runs[i].job, "web");
    EXPECT_EQ(runs[i].uuid, "u1");
  }
  // From a time inside a five minutes: still twelve, the first at the next one.
  auto offset = next_runs(all, kHour + 10, kHour + 10 + 3600, 1000);
  ASSERT_EQ(offset.size(), 12u);
  EXPECT_EQ(offset.front().at, kHour + 300);
  EXPECT_EQ(offset.back().at, kHour + 3600);
}

TEST_F(SchedulerNextRuns, SchedulesAreMergedSoonestFirst) {
  Schedules all;
  all["b-job"]["u2"] = schedule(R"({"cron": "*/20 * * * *"})");  // :20 :40 :60
  all["a-job"]["u1"] = schedule(R"({"cron": "*/15 * * * *"})");  // :15 :30 :45 :60
  all["a-job"]["u3"] = schedule(R"({"U": 600})");                  // every 10 min
  auto runs = next_runs(all, kHour, kHour + 3600, 1000);
  ASSERT_EQ(runs.size(), 3u + 4u + 6u);
  for (size_t i = 1; i < runs.size(); ++i) {
    EXPECT_LE(runs[i - 1].at, runs[i].at) << i;
    if (runs[i - 1].at == runs[i].at) {
      // The same instant: by job, then by uuid.
      EXPECT_LE(runs[i - 1].job, runs[i].job) << i;
      if (runs[i - 1].job == runs[i].job) {
        EXPECT_LT(runs[i - 1].uuid, runs[i].uuid) << i;
      }
    }
  }
  EXPECT_EQ(runs[0].at, kHour + 600);
  EXPECT_EQ(runs[0].uuid, "u3");
  EXPECT_EQ(runs[1].at, kHour + 900);
  EXPECT_EQ(runs[1].uuid, "u1");
  // At :60 all three are due: a-job u1, a-job u3, b-job u2.
  ASSERT_EQ(runs.back().at, kHour + 3600);
  EXPECT_EQ(runs[runs.size() - 3].uuid, "u1");
  EXPECT_EQ(runs[runs.size() - 2].uuid, "u3");
  EXPECT_EQ(runs[runs.size() - 1].uuid, "u2");
  EXPECT_EQ(runs[runs.size() - 1].job, "b-job");
}

TEST_F(SchedulerNextRuns, DisabledSchedulesAreSkipped) {
  Schedules all;
  all["web"]["on"] = schedule(R"({"cron": "*/30 * * * *"})");
  all["web"]["off"] = schedule(R"({"cron": "* * * * *"})", false);
  all["other"]["off"] = schedule(R"({"U": 60})", false);
  auto runs = next_runs(all, kHour, kHour + 3600, 1000);
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& r : runs) EXPECT_EQ(r.uuid, "on");
  Schedules none;
  none["web"]["off"] = schedule(R"({"U": 60})", false);
  EXPECT_TRUE(next_runs(none, kHour, kHour + 3600, 1000).empty());
}

TEST_F(SchedulerNextRuns, AtMostMaxRunsTheSoonest) {
  Schedules all;
  all["a"]["u"] = schedule(R"({"cron": "* * * * *"})");
  all["b"]["u"] = schedule(R"({"cron": "*/2 * * * *"})");
  auto full = next_runs(all, kHour, kHour + 24 * 3600, 100000);
  EXPECT_EQ(full.size(), 1440u + 720u);
  auto capped = next_runs(all, kHour, kHour + 24 * 3600, 1000);
  ASSERT_EQ(capped.size(), 1000u);
  for (size_t i = 0; i < capped.size(); ++i) {
    EXPECT_EQ(capped[i].at, full[i].at) << i;
    EXPECT_EQ(capped[i].job, full[i].job) << i;
  }
  EXPECT_TRUE(next_runs(all, kHour, kHour + 3600, 0).empty());
  auto three = next_runs(all, kHour, kHour + 3600, 3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0].at, kHour + 60);
  EXPECT_EQ(three[1].at, kHour + 120);
  EXPECT_EQ(three[1].job, "a");
  EXPECT_EQ(three[2].at, kHour + 120);
  EXPECT_EQ(three[2].job, "b");
}

TEST_F(SchedulerNextRuns, NothingDueInTheWindowGivesNothing) {
  Schedules all;
  all["yearly"]["u"] = schedule(R"({"cron": "0 0 1 1 *"})");
  all["never"]["u"] = schedule(R"({"cron": "0 0 30 2 *"})");
  EXPECT_TRUE(next_runs(all, kHour, kHour + 3600, 1000).empty());
  EXPECT_TRUE(next_runs(all, kHour, kHour, 1000).empty()) << "an empty window";
  EXPECT_TRUE(next_runs({}, kHour, kHour + 3600, 1000).empty());
}

TEST_F(SchedulerNextRuns, CronIsReadInTheLocalZone) {
  zone("Asia/Shanghai");  // UTC+8, no DST
  Schedules all;
  all["daily"]["u"] = schedule(R"({"cron": "0 9 * * *"})");
  auto runs = next_runs(all, kHour, kHour + 24 * 3600, 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at, kHour + 3600) << "09:00 in Shanghai is 01:00 UTC";
}

TEST_F(SchedulerNextRuns, JsonListsJobUuidAndTime) {
  std::vector<PlannedRun> runs = {{kHour + 60, "web", "u-1"}, {kHour + 120, "quote\"d", "u-2"}};
  std::string json = planned_runs_json(runs);
  EXPECT_EQ(json, R"([{"jobname":"web","uuid":"u-1","at":1772409660},{"jobname":"quote\"d","uuid":"u-2","at":1772409720}])");
  rapidjson::Document d;
  d.Parse(json.c_str());
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(planned_runs_json({}), "[]");
}

}  // namespace
}  // namespace backend::plugins::scheduler
