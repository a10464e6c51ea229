#include "plugins/scheduler/schedule_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::scheduler {
namespace {

class SchedulerStore : public ::testing::Test {
 protected:
  static Schedule schedule(bool enable, const char* condition) {
    rapidjson::Document doc;
    doc.Parse(condition);
    std::string error;
    auto c = parse_condition(doc, error);
    EXPECT_TRUE(c) << error;
    return {enable, condition, c ? *c : Condition{}};
  }
  void write(const std::string& path, const std::string& content) {
    ASSERT_FALSE(worker::replace_file(path, content));
  }
  std::string read(const std::string& path) {
    std::string error;
    auto s = worker::read_file(path, error);
    return s ? *s : "<none>";
  }
  // What the plugin does after a change: write both kinds of file.
  void save(ScheduleStore& store, const std::vector<std::string>& jobs) {
    write(store.schedules_path(), schedules_json(store.schedules()));
    for (const auto& job : jobs) {
      std::string h = store.history_json(job);
      if (h.empty()) {
        std::filesystem::remove(store.history_path(job));
      } else {
        write(store.history_path(job), h);
      }
    }
  }

  // Loads the store, then gives it job j with schedules u1 and u2 and job k
  // with u3, each run once (at 1, 2 and 3); returns the schedules.
  Schedules two_jobs_run_once(ScheduleStore& store) {
    store.load();
    Schedules all;
    all["j"]["u1"] = schedule(true, R"({"U":60})");
    all["j"]["u2"] = schedule(true, R"({"U":120})");
    all["k"]["u3"] = schedule(true, R"({"U":60})");
    for (const auto& [job, schedules] : all) store.set_job(job, schedules);
    store.record_run("j", "u1", 1);
    store.record_run("j", "u2", 2);
    store.record_run("k", "u3", 3);
    return all;
  }

  backend::testing::TempDir dir_{"sched-store"};
};

TEST_F(SchedulerStore, JsonShapes) {
  Schedules all;
  all["a"]["u1"] = schedule(true, R"({"U":"300"})");
  all["b"]["u2"] = schedule(false, R"({"d":"@t","H":"23","i":"59"})");
  all["c"];  // no schedules: left out
  EXPECT_EQ(schedules_json(all),
            R"({"a":{"u1":{"enable":true,"condition":{"U":"300"}}},)"
            R"("b":{"u2":{"enable":false,"condition":{"d":"@t","H":"23","i":"59"}}}})");
  EXPECT_EQ(schedules_json({}), "{}");
  EXPECT_EQ(runs_json({}), "[]");
  EXPECT_EQ(runs_json({3, 2, 1}), "[3,2,1]");
}

// The file as a change to one job leaves it is the file of the changed
// set, wherever the job falls among the others, and with none left.
TEST_F(SchedulerStore, OneJobReplacedIsTheWholeSetChanged) {
  Schedules all;
  all["b"]["u1"] = schedule(true, R"({"U":"300"})");
  all["d"]["u2"] = schedule(false, R"({"H":"03","i":"15"})");
  all["d"]["u3"] = schedule(true, R"({"U":"60"})");
  JobSchedules mine;
  mine["u9"] = schedule(true, R"({"cron":"*/5 * * * *"})");
  for (std::string job : {"a", "b", "c", "d", "e", "b\"q"}) {
    for (const JobSchedules& next : {mine, JobSchedules{}}) {
      Schedules changed = all;
      changed[job] = next;
      EXPECT_EQ(schedules_json(all, job, next), schedules_json(changed)) << job << ", " << next.size();
    }
  }
  EXPECT_EQ(schedules_json({}, "x", {}), "{}");
}

TEST_F(SchedulerStore, SettingOneJobDropsTheHistoryOfItsSchedulesGone) {
  ScheduleStore store(dir_.path);
  Schedules all = two_jobs_run_once(store);
  JobSchedules j = all["j"];
  j.erase("u1");
  j["u4"] = schedule(false, R"({"U":60})");
  EXPECT_TRUE(store.set_job("j", j));
  EXPECT_TRUE(store.runs("j", "u1").empty());
  EXPECT_EQ(store.runs("j", "u2"), (RunTimes{2}));
  EXPECT_EQ(store.history_json("j"), R"({"u2":[2]})");
  ASSERT_TRUE(store.find("j", "u4"));
  EXPECT_FALSE(store.find("j", "u1"));
  EXPECT_EQ(store.runs("k", "u3"), (RunTimes{3}));  // the others as they were
  EXPECT_FALSE(store.set_job("j", j)) << "nothing of its history went";
  EXPECT_FALSE(store.set_job("new", {}));
  EXPECT_EQ(store.schedules().count("new"), 0u);
  EXPECT_TRUE(store.set_job("k", {}));
  EXPECT_EQ(store.schedules().count("k"), 0u);
  EXPECT_EQ(store.history_json("k"), "");
  EXPECT_EQ(store.schedules().size(), 1u);
}

TEST_F(SchedulerStore, RoundTripThroughTheFiles) {
  {
    ScheduleStore store(dir_.path);
    EXPECT_TRUE(store.load().empty());
    Schedules all;
    all["job.1"]["u1"] = schedule(true, R"({"U":"300"})");
    all["job.1"]["u2"] = schedule(false, R"({"cron":"*/5 * * * *"})");
    all["other"]["u3"] = schedule(true, R"({"H":"03","i":"15"})");
    for (const auto& [job, schedules] : all) EXPECT_FALSE(store.set_job(job, schedules)) << "no history to drop";
    store.record_run("job.1", "u1", 100);
    store.record_run("job.1", "u1", 200);
    store.record_run("other", "u3", 50);
    save(store, {"job.1", "other"});
  }
  ScheduleStore again(dir_.path);
  EXPECT_TRUE(again.load().empty());
  ASSERT_EQ(again.schedules().size(), 2u);
  const Schedule* s = again.find("job.1", "u1");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->enable);
  EXPECT_EQ(s->condition_json, R"({"U":"300"})");  // as sent
  EXPECT_EQ(s->condition.U, 300);
  ASSERT_TRUE(again.find("job.1", "u2"));
  EXPECT_TRUE(again.find("job.1", "u2")->condition.cron);
  EXPECT_FALSE(again.find("job.1", "u3"));
  EXPECT_EQ(again.runs("job.1", "u1"), (RunTimes{200, 100}));
  EXPECT_EQ(again.runs("other", "u3"), (RunTimes{50}));
  EXPECT_TRUE(again.runs("job.1", "u2").empty());
  EXPECT_TRUE(again.runs("nobody", "u1").empty());
}

TEST_F(SchedulerStore, HistoryIsCappedAtFiftyNewestFirst) {
  ScheduleStore store(dir_.path);
  store.load();
  Schedules all;
  all["j"]["u"] = schedule(true, R"({"U":60})");
  store.set_job("j", all["j"]);
  for (int64_t t = 1; t <= 120; ++t) store.record_run("j", "u", t * 60);
  const RunTimes& runs = store.runs("j", "u");
  ASSERT_EQ(runs.size(), kHistoryLength);
  EXPECT_EQ(runs.front(), 120 * 60);
  EXPECT_EQ(runs.back(), 71 * 60);
  save(store, {"j"});
  ScheduleStore again(dir_.path);
  again.load();
  EXPECT_EQ(again.runs("j", "u"), runs);
}

TEST_F(SchedulerStore, BadFilesAreToldAndKept) {
  write(dir_.path + "/schedules.json", "{not json");
  ScheduleStore store(dir_.path);
  auto problems = store.load();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("schedules.json.bad"), std::string::npos);
  EXPECT_EQ(read(dir_.path + "/schedules.json.bad"), "{not json");
  EXPECT_TRUE(store.schedules().empty());

  write(dir_.path + "/schedules.json",
        R"({"j":{"good":{"enable":true,"condition":{"U":60}},"bad":{"enable":true,"condition":{"H":"24"}},)"
        R"("noenable":{"condition":{"U":60}}},"../x":{"u":{"enable":true,"condition":{"U":60}}}})");
  write(dir_.path + "/history/j.json", R"({"good":[5,"x",4],"gone":[1]})");
  problems = store.load();
  EXPECT_EQ(problems.size(), 3u);
  EXPECT_TRUE(store.find("j", "good"));
  EXPECT_FALSE(store.find("j", "bad"));
  EXPECT_EQ(store.schedules().size(), 1u);
  EXPECT_EQ(store.runs("j", "good"), (RunTimes{5, 4}));
  EXPECT_TRUE(store.runs("j", "gone").empty());
}

}  // namespace
}  // namespace backend::plugins::scheduler
