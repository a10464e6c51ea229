#include "plugins/scheduler/scheduler_plugin.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::scheduler {
namespace {

using namespace std::chrono;

class FakeJobs : public JobControl {
 public:
  std::map<std::string, std::string> settings_;
  std::set<std::string> running_;
  std::vector<std::string> started;
  bool answer_at_once = true;
  std::vector<Result> unanswered;

  std::vector<std::string> job_names() const override {
    std::vector<std::string> names;
    for (const auto& [name, unused] : settings_) names.push_back(name);
    return names;
  }
  const std::string* settings(const std::string& job) const override {
    auto it = settings_.find(job);
    return it == settings_.end() ? nullptr : &it->second;
  }
  bool running(const std::string& job) const override { return running_.count(job) > 0; }
  void start(const std::string& job, shm::StartReason reason, Result result) override {
    EXPECT_EQ(reason, shm::StartReason::kScheduler) << "the scheduler's starts are counted as its own";
    started.push_back(job);
    if (!answer_at_once) return unanswered.push_back(std::move(result));
    running_.insert(job);
    result(Code::kOk, {});
  }
  // Not the scheduler's: a call fails the test.
  void put(const std::string& job, const std::string&, Result) override { ADD_FAILURE() << "put " << job; }
  void stop(const std::string& job, Result) override { ADD_FAILURE() << "stop " << job; }
  void remove(const std::string& job, Result) override { ADD_FAILURE() << "remove " << job; }
};

int64_t steady_ms() { return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(); }

class SchedulerPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    uv_loop_init(&loop_);
    jobs_.settings_["j"] = "{}";
    jobs_.settings_["k"] = "{}";
    // A wall clock that runs like the real one from a time the test picks.
    set_clock(1'780'000'000'000);
    host_.loop = &loop_;
    host_.data_dir = dir_.path;
    host_.jobs = &jobs_;
  }
  void TearDown() override {
    plugin_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void set_clock(int64_t unix_ms) {
    clock_base_ = unix_ms;
    steady_base_ = steady_ms();
  }
  int64_t now_ms() const { return clock_base_ + (steady_ms() - steady_base_); }

  SchedulerPlugin& start_plugin() {
    plugin_ = std::make_unique<SchedulerPlugin>([this] { return now_ms(); });
    rapidjson::Document empty(rapidjson::kObjectType);
    EXPECT_FALSE(plugin_->configure(empty));
    plugin_->inited(host_);
    return *plugin_;
  }
  void stop_plugin() {
    plugin_->close();
    plugin_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }

  bool run_until(const std::function<bool()>& done, int timeout_ms = 3000) {
    int64_t end = steady_ms() + timeout_ms;
    while (!done()) {
      if (steady_ms() > end) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(500);
    }
    return true;
  }
  void run_for(int ms) {
    run_until([] { return false; }, ms);
  }

  Reply call(std::string_view command, const std::string& json = "{}") {
    rapidjson::Document doc;
    doc.Parse(json.c_str());
    EXPECT_FALSE(doc.HasParseError()) << json;
    std::optional<Reply> reply;
    plugins::call(*plugin_, scheduler_plugin_info(), command, doc, [&](Reply r) {
      EXPECT_FALSE(reply) << "answered twice";
      reply = std::move(r);
    });
    EXPECT_TRUE(run_until([&] { return reply.has_value(); })) << command << " not answered";
    return reply.value_or(Reply{Code::kUnknown, {}, "no answer"});
  }
  std::string ok(std::string_view command, const std::string& json = "{}") {
    Reply r = call(command, json);
    EXPECT_EQ(r.code, Code::kOk) << command << " " << json << ": " << r.error;
    return r.data;
  }
  std::string failed(std::string_view command, const std::string& json) {
    Reply r = call(command, json);
    EXPECT_EQ(r.code, Code::kFailed) << command << " " << json << ": " << r.data;
    EXPECT_FALSE(r.error.empty());
    return r.error;
  }
  // The data of an ADD is a JSON string: the uuid without its quotes.
  std::string add(const std::string& job, const std::string& rest) {
    std::string data = ok("SCHEDULER.ADD", R"({"jobname":")" + job + R"(",)" + rest + "}");
    EXPECT_EQ(data.size(), 38u) << data;
    return data.size() == 38 ? data.substr(1, 36) : data;
  }
  static std::string ids(const std::string& job, const std::string& uuid) {
    return R"({"jobname":")" + job + R"(","uuid":")" + uuid + R"("})";
  }
  // Puts the clock ms before the next whole minute.
  void just_before_minute(int ms = 200) {
    int64_t t = now_ms();
    set_clock((t / 60000 + 1) * 60000 - ms);
  }

  backend::testing::TempDir dir_{"sched-plugin"};
  uv_loop_t loop_;
  FakeJobs jobs_;
  Host host_;
  int64_t clock_base_ = 0, steady_base_ = 0;
  std::unique_ptr<SchedulerPlugin> plugin_;
};

TEST_F(SchedulerPluginTest, InfoNamesTheSevenCommands) {
  const PluginInfo& info = scheduler_plugin_info();
  EXPECT_EQ(info.name, "scheduler");
  EXPECT_EQ(info.side, Side::kSupervisor);
  ASSERT_EQ(info.commands.size(), 7u);
  std::map<std::string_view, std::pair<bool, bool>> specs;
  for (const auto& c : info.commands) specs[c.name] = {c.needs_jobname, c.changes_state};
  EXPECT_EQ(specs["SCHEDULER.ADD"], std::make_pair(true, true));
  EXPECT_EQ(specs["SCHEDULER.DELETE"], std::make_pair(true, true));
  EXPECT_EQ(specs["SCHEDULER.UPDATE"], std::make_pair(true, true));
  EXPECT_EQ(specs["SCHEDULER.GET"], std::make_pair(true, false));
  EXPECT_EQ(specs["SCHEDULER.GETALL"], std::make_pair(false, false));
  EXPECT_EQ(specs["SCHEDULER.GETLOG"], std::make_pair(true, false));
  EXPECT_EQ(specs["SCHEDULER.NEXTRUNS"], std::make_pair(false, false));
  EXPECT_TRUE(info.make());
}

TEST_F(SchedulerPluginTest, ConfigureTakesNoSettings) {
  SchedulerPlugin p;
  rapidjson::Document doc;
  doc.Parse("{}");
  EXPECT_FALSE(p.configure(doc));
  doc.Parse(R"({"interval": 5})");
  auto error = p.configure(doc);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("\"interval\""), std::string::npos);
  doc.Parse("[]");
  EXPECT_TRUE(p.configure(doc));
}

TEST_F(SchedulerPluginTest, CommandsAsTheConformanceCheckUsesThem) {
  start_plugin();
  EXPECT_EQ(ok("SCHEDULER.GETALL"), "{}");
  EXPECT_EQ(failed("SCHEDULER.ADD", R"({"jobname":"ghost","enable":true,"condition":{"U":300}})"),
            "job \"ghost\" does not exist");
  for (const char* bad : {R"({"U":61})", R"({"H":"24"})", R"({"d":"32"})", R"({"m":"1"})", R"({"N":"8"})",
                          R"({"d":"01","N":"1"})", R"({"Q":"1"})", "{}", R"({"i":"30","U":120})"}) {
    failed("SCHEDULER.ADD", std::string(R"({"jobname":"j","enable":true,"condition":)") + bad + "}");
  }
  failed("SCHEDULER.ADD", R"({"jobname":"j","enable":{"on":true},"condition":{"U":300}})");
  failed("SCHEDULER.ADD", R"({"jobname":"j","condition":{"U":300}})");

  std::string u2 = add("j", R"("enable":"1","condition":{"H":"03","i":"15"})");
  EXPECT_EQ(ok("SCHEDULER.GET", ids("j", u2)), R"({"enable":true,"condition":{"H":"03","i":"15"}})");
  ok("SCHEDULER.DELETE", ids("j", u2));

  std::string u = add("j", R"("enable":false,"condition":{"U":"300"})");
  EXPECT_NE(failed("SCHEDULER.ADD", R"({"jobname":"j","enable":false,"condition":{"U":300}})").find(u),
            std::string::npos);
  add("k", R"("enable":false,"condition":{"U":300})");  // another job may
  EXPECT_EQ(ok("SCHEDULER.GET", ids("j", u)), R"({"enable":false,"condition":{"U":"300"}})");
  ok("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + u + R"(","condition":{"d":"@t","H":"23","i":"59"}})");
  EXPECT_EQ(ok("SCHEDULER.GET", ids("j", u)), R"({"enable":false,"condition":{"d":"@t","H":"23","i":"59"}})");
  ok("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + u + R"(","enable":"true"})");
  EXPECT_EQ(ok("SCHEDULER.GET", ids("j", u)), R"({"enable":true,"condition":{"d":"@t","H":"23","i":"59"}})");
  std::string all = ok("SCHEDULER.GETALL");
  EXPECT_NE(all.find(R"("j":{")" + u + R"(":{"enable":true,)"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("k":{")"), std::string::npos) << all;
  EXPECT_EQ(ok("SCHEDULER.GETLOG", ids("j", u)), "[]");
  ok("SCHEDULER.DELETE", ids("j", u));
  failed("SCHEDULER.GET", ids("j", u));
  failed("SCHEDULER.GETLOG", ids("j", u));
  failed("SCHEDULER.DELETE", ids("j", u));
  failed("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + u + R"(","enable":true})");
  failed("SCHEDULER.GET", R"({"jobname":"j"})");
  failed("SCHEDULER.GET", R"({"jobname":"../x","uuid":"a"})");
}

TEST_F(SchedulerPluginTest, UpdateChecksDuplicatesAndTypes) {
  start_plugin();
  std::string a = add("j", R"("enable":true,"condition":{"H":"01"})");
  std::string b = add("j", R"("enable":true,"condition":{"H":"02"})");
  failed("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + b + R"(","condition":{"H":"01"}})");
  ok("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + b + R"(","condition":{"H":"02"}})");  // itself
  failed("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + a + R"(","enable":"on"})");
  failed("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + a + R"(","condition":{"H":"1"}})");
  ok("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + a + R"("})");
  EXPECT_EQ(ok("SCHEDULER.GET", ids("j", a)), R"({"enable":true,"condition":{"H":"01"}})");
}

TEST_F(SchedulerPluginTest, ConcurrentAddsAreCheckedAgainstEachOther) {
  start_plugin();
  rapidjson::Document doc;
  doc.Parse(R"({"jobname":"j","enable":true,"condition":{"U":600}})");
  std::vector<Reply> replies;
  for (int k = 0; k < 3; ++k) plugins::call(*plugin_, scheduler_plugin_info(), "SCHEDULER.ADD", doc, [&](Reply r) { replies.push_back(r); });
  ASSERT_TRUE(run_until([&] { return replies.size() == 3; }));
  EXPECT_EQ(replies[0].code, Code::kOk);
  EXPECT_EQ(replies[1].code, Code::kFailed);
  EXPECT_EQ(replies[2].code, Code::kFailed);
}

TEST_F(SchedulerPluginTest, SchedulesSurviveARestartAndJobDeleteRemovesThem) {
  start_plugin();
  std::string u = add("j", R"("enable":true,"condition":{"cron":"0 3 * * *"})");
  std::string v = add("k", R"("enable":false,"condition":{"U":"300"})");
  stop_plugin();
  start_plugin();
  EXPECT_EQ(ok("SCHEDULER.GET", ids("j", u)), R"({"enable":true,"condition":{"cron":"0 3 * * *"}})");
  EXPECT_EQ(ok("SCHEDULER.GET", ids("k", v)), R"({"enable":false,"condition":{"U":"300"}})");
  rapidjson::Document params;
  params.Parse(R"({"jobname":"j"})");
  plugin_->finished("DELETE", params, Code::kFailed);  // not deleted: kept
  plugin_->finished("STOP", params, Code::kOk);
  run_for(50);
  ok("SCHEDULER.GET", ids("j", u));
  plugin_->finished("DELETE", params, Code::kOk);
  ASSERT_TRUE(run_until([&] { return call("SCHEDULER.GET", ids("j", u)).code == Code::kFailed; }));
  stop_plugin();
  start_plugin();
  EXPECT_EQ(call("SCHEDULER.GET", ids("j", u)).code, Code::kFailed);
  EXPECT_EQ(ok("SCHEDULER.GETALL"), R"({"k":{")" + v + R"(":{"enable":false,"condition":{"U":"300"}}}})");
}

TEST_F(SchedulerPluginTest, ADeletedJobsSchedulesAreGoneTheMomentDeleteIsAnswered) {
  start_plugin();
  std::string u = add("j", R"("enable":true,"condition":{"cron":"0 3 * * *"})");
  jobs_.settings_.erase("j");  // the supervisor deleted the job, then tells the plugins
  rapidjson::Document params;
  params.Parse(R"({"jobname":"j"})");
  plugin_->finished("DELETE", params, Code::kOk);
  EXPECT_EQ(ok("SCHEDULER.GETALL"), "{}");  // before the file was rewritten
  EXPECT_EQ(call("SCHEDULER.GET", ids("j", u)).code, Code::kFailed);
}

TEST_F(SchedulerPluginTest, AFailedWriteIsFailedAndChangesNothing) {
  start_plugin();
  std::filesystem::create_directory(dir_.path + "/schedules.json");  // rename onto a folder fails
  std::string error = failed("SCHEDULER.ADD", R"({"jobname":"j","enable":true,"condition":{"U":300}})");
  EXPECT_NE(error.find("could not save the schedules"), std::string::npos) << error;
  EXPECT_EQ(ok("SCHEDULER.GETALL"), "{}");
}

TEST_F(SchedulerPluginTest, ADueScheduleStartsItsJobOnceAndNotWhileItRuns) {
  // Margins of a second and more: each ADD and UPDATE waits for an fsync.
  just_before_minute(1500);
  start_plugin();
  std::string u = add("j", R"("enable":true,"condition":{"U":60})");
  add("k", R"("enable":false,"condition":{"U":60})");  // disabled: never starts
  int64_t minute = (now_ms() / 60000 + 1) * 60;
  ASSERT_TRUE(run_until([&] { return !jobs_.started.empty(); }));
  run_for(100);
  EXPECT_EQ(jobs_.started, (std::vector<std::string>{"j"}));
  ASSERT_TRUE(run_until([&] { return ok("SCHEDULER.GETLOG", ids("j", u)) != "[]"; }));
  EXPECT_EQ(ok("SCHEDULER.GETLOG", ids("j", u)), "[" + std::to_string(minute) + "]");

  // Next minute: the job is still running, so it is not started again.
  just_before_minute(1500);
  ok("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + u + R"(","enable":true})");  // re-arms for the new clock
  run_for(2000);
  EXPECT_EQ(jobs_.started.size(), 1u);
  EXPECT_EQ(ok("SCHEDULER.GETLOG", ids("j", u)), "[" + std::to_string(minute) + "]");

  // It has ended: the minute after starts it again, newest first in the log.
  jobs_.running_.clear();
  just_before_minute(1500);
  int64_t third = (now_ms() / 60000 + 1) * 60;
  ok("SCHEDULER.UPDATE", R"({"jobname":"j","uuid":")" + u + R"(","enable":1})");
  ASSERT_TRUE(run_until([&] { return jobs_.started.size() == 2; }));
  ASSERT_TRUE(run_until([&] { return ok("SCHEDULER.GETLOG", ids("j", u)).find(',') != std::string::npos; }));
  EXPECT_EQ(ok("SCHEDULER.GETLOG", ids("j", u)), "[" + std::to_string(third) + "," + std::to_string(minute) + "]");

  // The history reaches the disk (written off the loop, so soon after).
  std::string expected = R"({")" + u + R"(":[)" + std::to_string(third) + "," + std::to_string(minute) + "]}";
  std::string error;
  EXPECT_TRUE(run_until([&] { return worker::read_file(dir_.path + "/history/j.json", error) == expected; }));
}

TEST_F(SchedulerPluginTest, TwoSchedulesDueTogetherStartTheJobOnce) {
  jobs_.answer_at_once = false;
  just_before_minute(1500);
  start_plugin();
  std::string a = add("j", R"("enable":true,"condition":{"U":60})");
  std::string b = add("j", R"("enable":true,"condition":{"cron":"* * * * *"})");
  ASSERT_TRUE(run_until([&] { return !jobs_.started.empty(); }));
  run_for(100);
  EXPECT_EQ(jobs_.started.size(), 1u);
  ASSERT_EQ(jobs_.unanswered.size(), 1u);
  jobs_.unanswered[0](Code::kFailed, "command path \"/x\" does not exist");
  run_for(100);
  // A failed start is no run.
  EXPECT_EQ(ok("SCHEDULER.GETLOG", ids("j", a)), "[]");
  EXPECT_EQ(ok("SCHEDULER.GETLOG", ids("j", b)), "[]");
}

TEST_F(SchedulerPluginTest, SchedulesOfAMissingJobWaitForItsAdd) {
  start_plugin();
  jobs_.settings_["gone"] = "{}";
  std::string u = add("gone", R"("enable":true,"condition":{"U":60})");
  stop_plugin();
  jobs_.settings_.erase("gone");  // deleted while the plugin was not loaded
  just_before_minute(200);
  start_plugin();
  run_for(500);
  EXPECT_TRUE(jobs_.started.empty());
  ok("SCHEDULER.GET", ids("gone", u));  // kept
  jobs_.settings_["gone"] = "{}";
  just_before_minute(200);
  rapidjson::Document params;
  params.Parse(R"({"jobname":"gone","command":"/bin/true"})");
  plugin_->finished("ADD", params, Code::kOk);
  ASSERT_TRUE(run_until([&] { return !jobs_.started.empty(); }));
  EXPECT_EQ(jobs_.started, (std::vector<std::string>{"gone"}));
}

TEST_F(SchedulerPluginTest, NothingRunsForTimesBeforeTheScheduleWasAdded) {
  set_clock(1'780'000'000'000 + 30'000);  // half a minute past
  start_plugin();
  add("j", R"("enable":true,"condition":{"U":60})");
  run_for(300);
  EXPECT_TRUE(jobs_.started.empty());
}

}  // namespace
}  // namespace backend::plugins::scheduler
