// The plugins against a real server: autostart across restarts, the
// guarder's backoff on a job that always exits, auth beyond loopback.
//
// Job scripts append a line with the time to a file at every start, so that
// the test sees each start without asking the server.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

std::string jp(const std::string& job) { return R"({"jobname":")" + job + R"("})"; }

struct StartLog {
  std::string job;
  std::string script;
  std::string starts;  // one line per start: seconds since the epoch, fractional
};

// A /bin/sh job that notes each start in its starts file, then runs body.
StartLog job_script(const Server& s, const std::string& job, const std::string& body) {
  StartLog j{job, s.dir + "/" + job + ".sh", s.dir + "/" + job + ".starts"};
  write_file(j.script, "#!/bin/sh\ndate +%s.%N >> '" + j.starts + "'\n" + body);
  chmod(j.script.c_str(), 0755);
  return j;
}

std::vector<double> starts_of(const StartLog& j) {
  std::vector<double> times;
  std::istringstream in(read_file(j.starts).value_or(""));
  for (double t; in >> t;) times.push_back(t);
  return times;
}

std::string status_of(const Server& s, const std::string& job) {
  auto r = s.request("STATUS", jp(job));
  return ok(r) && r->has_data() && r->data().IsString() ? r->data().GetString() : "<" + raw_of(r) + ">";
}

class PluginsTest : public testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) s.print_stderr_tails();
  }
  Server s;
};

TEST_F(PluginsTest, AutostartStartsItsJobsWhenTheServerStartsAndOnlyThen) {
  ASSERT_TRUE(s.start());
  auto on = job_script(s, "auto-on", "while :; do sleep 1; done\n");
  auto off = job_script(s, "auto-off", "while :; do sleep 1; done\n");
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"auto-on","autostart":true,"command":")" + on.script + "\"}")));
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"auto-off","command":")" + off.script + "\"}")));
  EXPECT_EQ(status_of(s, "auto-on"), "DOWN") << "ADD alone starts nothing";
  ASSERT_TRUE(s.stop());

  ASSERT_TRUE(s.start());
  EXPECT_TRUE(wait_until([&] { return status_of(s, "auto-on") == "UP"; }, 3000)) << status_of(s, "auto-on");
  EXPECT_EQ(status_of(s, "auto-off"), "DOWN");
  // UP comes with the exec; the script notes its start a moment later.
  EXPECT_TRUE(wait_until([&] { return starts_of(on).size() == 1; }, 3000)) << starts_of(on).size() << " starts";

  // Not again when the supervisor is started again after dying, nor on SIGHUP.
  ASSERT_TRUE(ok(s.request("STOP", jp("auto-on"))));
  pid_t old = s.supervisor_pid();
  ASSERT_GT(old, 0);
  kill(old, SIGKILL);
  ASSERT_TRUE(wait_until([&] { pid_t p = s.supervisor_pid(); return p > 0 && p != old; }, 5000));
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("config reloaded"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(status_of(s, "auto-on"), "DOWN");
  EXPECT_EQ(starts_of(on).size(), 1u);
}

// backoff_max 2: a job that always exits is started at once, then after
// 1 s, 2 s, 2 s ...; STOP during a wait ends it.
TEST_F(PluginsTest, GuardBacksOffOnAJobThatKeepsDyingAndStopEndsIt) {
  s.set("plugin_settings", R"({"guarder": {"backoff_max": 2, "backoff_reset": 60}})");
  ASSERT_TRUE(s.start());
  auto j = job_script(s, "dies", "exit 3\n");
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"dies","guard":true,"command":")" + j.script + "\"}")));
  ASSERT_TRUE(ok(s.request("START", jp("dies"))));
  ASSERT_TRUE(wait_until([&] { return starts_of(j).size() >= 5; }, 10000)) << starts_of(j).size() << " starts";
  std::vector<double> t = starts_of(j);
  std::vector<double> gaps;
  for (size_t i = 1; i < 5; ++i) gaps.push_back(t[i] - t[i - 1]);
  EXPECT_LT(gaps[0], 0.5) << "the first restart is at once";
  EXPECT_NEAR(gaps[1], 1.0, 0.4);
  EXPECT_NEAR(gaps[2], 2.0, 0.4);
  EXPECT_NEAR(gaps[3], 2.0, 0.4) << "capped by backoff_max";

  // The wait is visible in shared memory, with the restarts.
  ASSERT_TRUE(wait_until([&] { return status_of(s, "dies") == "DOWN"; }, 2000));
  auto shm = run_command({shm_bin(), "--shm-name", s.shm_name, "--json"});
  auto doc = parse_json(shm.out);
  ASSERT_TRUE(doc) << shm.describe();
  const auto& job = (*doc)["jobs"][0];
  EXPECT_GE(job["restarts"].GetUint(), 4u);
  EXPECT_TRUE(job["next_retry_at"].IsInt64()) << shm.out;

  EXPECT_FALSE(ok(s.request("STOP", jp("dies")))) << "nothing runs to be stopped";
  size_t after_stop = starts_of(j).size();
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  EXPECT_EQ(starts_of(j).size(), after_stop) << "STOP did not end guarding";
}

TEST_F(PluginsTest, ListeningBeyondLoopbackNeedsAuthOrConsent) {
  s.set("listen", "\"0.0.0.0:" + std::to_string(s.port) + "\"");
  auto r = run_command({server_bin(), "--check-config", "-c", (s.write_config(), s.config_path)});
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.err.find("allow_insecure_remote"), std::string::npos) << r.err;
  s.set("allow_insecure_remote", "true");
  s.write_config();
  r = run_command({server_bin(), "--check-config", "-c", s.config_path});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
}

// The HTTP face is held to the same rule, the API socket on loopback or not.
TEST_F(PluginsTest, AnHttpFaceBeyondLoopbackNeedsAuthOrConsent) {
  s.set("http_listen", "\"0.0.0.0:" + std::to_string(s.http_port) + "\"");
  auto r = run_command({server_bin(), "--check-config", "-c", (s.write_config(), s.config_path)});
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.err.find("listening on 0.0.0.0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("allow_insecure_remote"), std::string::npos) << r.err;
  s.set("allow_insecure_remote", "true");
  s.write_config();
  r = run_command({server_bin(), "--check-config", "-c", s.config_path});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
}

TEST_F(PluginsTest, AnUnknownPluginOrSettingStopsTheStartWithItsName) {
  s.set("autoload_plugins", R"(["guarder", "nosuch"])");
  s.write_config();
  auto r = run_command({server_bin(), "-c", s.config_path});
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.err.find("\"nosuch\""), std::string::npos) << r.err;
  s.set("autoload_plugins", "\"*\"");
  s.set("plugin_settings", R"({"logcleaner": {"clean_interval": 0}})");
  s.write_config();
  r = run_command({server_bin(), "-c", s.config_path});
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.err.find("\"logcleaner\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("clean_interval"), std::string::npos) << r.err;
}

// The scheduler under a clock twenty times as fast (libfaketime, installed
// by run/setup.sh; the job inherits it, so the times it writes are the
// server's): a U: 60 schedule starts its job within 2 s of every full
// minute, three times, and GETLOG lists those starts, newest first.
TEST_F(PluginsTest, AnEveryMinuteScheduleStartsItsJobOnTimeAndKeepsTheHistory) {
  const char* lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  ASSERT_TRUE(file_exists(lib)) << lib << " is missing: run/setup.sh installs the faketime package";
  setenv("LD_PRELOAD", lib, 1);
  setenv("FAKETIME", "+0 x20", 1);
  setenv("FAKETIME_NO_CACHE", "1", 1);
  // The sanitizer build wants its runtime first; libfaketime only wraps
  // clock calls, so the order does not matter to it.
  const char* asan = getenv("ASAN_OPTIONS");
  std::string asan_before = asan ? asan : "";
  setenv("ASAN_OPTIONS", (asan_before + (asan_before.empty() ? "" : ":") + "verify_asan_link_order=0").c_str(), 1);
  testing::AssertionResult started = s.start();
  unsetenv("LD_PRELOAD");
  unsetenv("FAKETIME");
  unsetenv("FAKETIME_NO_CACHE");
  if (asan)
    setenv("ASAN_OPTIONS", asan_before.c_str(), 1);
  else
    unsetenv("ASAN_OPTIONS");
  ASSERT_TRUE(started);
  auto j = job_script(s, "minutely", "sleep 1\n");
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"minutely","command":")" + j.script + "\"}")));
  auto added = s.request("SCHEDULER.ADD", R"({"jobname":"minutely","enable":true,"condition":{"U":60}})");
  ASSERT_TRUE(ok(added) && added->data().IsString()) << raw_of(added);
  std::string uuid = added->data().GetString();
  // Three fast minutes are at most 9 s here; a loaded machine gets more.
  ASSERT_TRUE(wait_until([&] { return starts_of(j).size() >= 3; }, 30000)) << starts_of(j).size() << " starts";
  std::vector<double> t = starts_of(j);
  for (size_t i = 0; i < 3; ++i) {
    double late = t[i] - 60 * std::floor(t[i] / 60);
    EXPECT_LE(late, 2.0) << "start " << i << " at " << std::fixed << t[i] << " is " << late << " s after its minute";
    if (i > 0) {
      EXPECT_NEAR(t[i] - t[i - 1], 60, 2.5) << "one start per minute";
    }
  }
  auto log = s.request("SCHEDULER.GETLOG", R"({"jobname":"minutely","uuid":")" + uuid + "\"}");
  ASSERT_TRUE(ok(log) && log->data().IsArray()) << raw_of(log);
  const auto& runs = log->data();
  ASSERT_GE(runs.Size(), 3u) << raw_of(log);
  std::vector<double> newest_first(t.rbegin(), t.rend());
  for (rapidjson::SizeType i = 0; i < runs.Size() && i < newest_first.size(); ++i)
    EXPECT_NEAR(double(runs[i].GetInt64()), newest_first[i + (t.size() - runs.Size())], 2.0) << raw_of(log);
}

// A reply longer than one packet between the workers (128 KiB): the
// schedules of a job with hundreds of them. The listener used to drop it,
// and the client waited for ever.
TEST_F(PluginsTest, ASchedulerReplyLongerThanAPacketArrivesWhole) {
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"many","command":"/bin/sleep","params":"1"})")));
  std::string all_minutes;
  for (int m = 0; m < 60; ++m) all_minutes += (m ? "," : "") + std::to_string(m);
  const int kSchedules = 900;  // about 150 bytes each in the reply
  for (int k = 0; k < kSchedules; ++k) {
    // Distinct conditions: every minute of hour k / 60 but minute k % 60.
    std::string minutes = all_minutes;
    std::string gone = std::to_string(k % 60);
    size_t at = ("," + minutes + ",").find("," + gone + ",");
    minutes.erase(at, gone.size() + (at + gone.size() < minutes.size() ? 1 : 0));
    if (!minutes.empty() && minutes.back() == ',') minutes.pop_back();
    auto r = s.request("SCHEDULER.ADD", R"({"jobname":"many","enable":false,"condition":{"cron":")" + minutes + " " +
                                            std::to_string(k / 60) + R"( * * *"}})");
    ASSERT_TRUE(ok(r)) << k << ": " << raw_of(r);
  }
  auto all = s.request("SCHEDULER.GETALL");
  ASSERT_TRUE(ok(all)) << "no whole reply: " << raw_of(all).substr(0, 200);
  ASSERT_TRUE(all->data().IsObject() && all->data().HasMember("many"));
  EXPECT_EQ(all->data()["many"].MemberCount(), static_cast<rapidjson::SizeType>(kSchedules));
  EXPECT_GT(raw_of(all).size(), size_t(128 * 1024)) << "the reply should need more than one packet";
}

// SIGHUP hands the plugins their changed settings: logexplorer's max_bytes
// cuts the same server log file shorter after the reload.
TEST_F(PluginsTest, SighupAppliesChangedPluginSettings) {
  s.set("plugin_settings", R"({"logexplorer": {"max_bytes": 1000000}})");
  ASSERT_TRUE(s.start());
  auto days = s.request("LOGEXPLORER.SERVERLISTDIR");
  ASSERT_TRUE(ok(days) && days->data().IsArray() && days->data().Size() > 0) << raw_of(days);
  std::string day = days->data()[0].GetString();
  auto files = s.request("LOGEXPLORER.SERVERLISTFILE", R"({"dirname":")" + day + "\"}");
  ASSERT_TRUE(ok(files) && files->data().IsArray() && files->data().Size() > 0) << raw_of(files);
  std::string get = R"({"dirname":")" + day + R"(","filename":")" + files->data()[0].GetString() + "\"}";
  auto whole = s.request("LOGEXPLORER.SERVERGET", get);
  ASSERT_TRUE(ok(whole) && whole->data().IsString()) << raw_of(whole);
  ASSERT_GT(whole->data().GetStringLength(), 10u);

  s.set("plugin_settings", R"({"logexplorer": {"max_bytes": 10}})");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("config reloaded"));
  ASSERT_TRUE(wait_until([&] {
    auto cut = s.request("LOGEXPLORER.SERVERGET", get);
    return ok(cut) && cut->data().IsString() && cut->data().GetStringLength() == 10;
  }, 3000)) << raw_of(s.request("LOGEXPLORER.SERVERGET", get));
  auto cut = s.request("LOGEXPLORER.SERVERGET", get);
  ASSERT_TRUE(cut) << raw_of(cut);
  EXPECT_NE(cut->error().find("cut"), std::string::npos) << raw_of(cut);
}

}  // namespace
}  // namespace itest
