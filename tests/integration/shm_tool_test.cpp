// backend-shm, the read-only debug tool, against a running server.
#include <csignal>
#include <set>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

CommandResult shm_json(const std::string& name) {
  return run_command({shm_bin(), "--shm-name", name, "--json"}, 10000);
}

std::set<std::string> job_names(const rapidjson::Value& doc) {
  std::set<std::string> names;
  for (const auto& j : doc["jobs"].GetArray()) names.insert(j["name"].GetString());
  return names;
}

TEST(ShmTool, JsonListsJobsAndPids) {
  Server s;
  ASSERT_TRUE(s.start());
  for (const char* name : {"alpha", "beta.1", "gamma-2", "d_3@x"}) {
    auto r = s.request("ADD", std::string(R"({"jobname":")") + name + R"(","command":"/bin/true"})");
    ASSERT_TRUE(r && r->ok()) << name << ": " << (r ? r->raw : "no reply");
  }
  CommandResult r = shm_json(s.shm_name);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  auto doc = parse_json(r.out);
  ASSERT_TRUE(doc && doc->IsObject()) << "not JSON: " << r.out;
  const auto& d = *doc;
  ASSERT_TRUE(d.HasMember("master_pid") && d.HasMember("listener_pid") && d.HasMember("supervisor_pid")) << r.out;
  EXPECT_EQ(d["master_pid"].GetInt(), s.master_pid());
  EXPECT_EQ(d["listener_pid"].GetInt(), s.listener_pid());
  EXPECT_EQ(d["supervisor_pid"].GetInt(), s.supervisor_pid());
  EXPECT_NE(d["listener_pid"].GetInt(), d["supervisor_pid"].GetInt());
  ASSERT_TRUE(d.HasMember("jobs") && d["jobs"].IsArray()) << r.out;
  EXPECT_EQ(job_names(d), (std::set<std::string>{"alpha", "beta.1", "gamma-2", "d_3@x"})) << r.out;
  for (const auto& j : d["jobs"].GetArray()) {
    EXPECT_STREQ(j["state"].GetString(), "DOWN") << r.out;
    EXPECT_TRUE(j["pid"].IsNull()) << r.out;
  }

  // Follows changes: a deleted job goes, a restarted worker's pid is new.
  ASSERT_TRUE(ok(s.request("DELETE", R"({"jobname":"beta.1"})")));
  pid_t old_listener = s.listener_pid();
  kill(old_listener, SIGKILL);
  ASSERT_TRUE(wait_until([&] { pid_t p = s.listener_pid(); return p != 0 && p != old_listener; }, 3000));
  ASSERT_TRUE(s.wait_ready());
  r = shm_json(s.shm_name);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  doc = parse_json(r.out);
  ASSERT_TRUE(doc && doc->IsObject()) << r.out;
  EXPECT_EQ(job_names(*doc), (std::set<std::string>{"alpha", "gamma-2", "d_3@x"})) << r.out;
  EXPECT_EQ((*doc)["listener_pid"].GetInt(), s.listener_pid()) << "the header does not name the new listener";
  EXPECT_EQ((*doc)["master_pid"].GetInt(), s.master_pid());
}

TEST(ShmTool, TextOutputNamesPidsAndJobs) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"textjob","command":"/bin/true"})")));
  CommandResult r = run_command({shm_bin(), "--shm-name", s.shm_name}, 10000);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("master " + std::to_string(s.master_pid())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("listener " + std::to_string(s.listener_pid())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("supervisor " + std::to_string(s.supervisor_pid())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("textjob"), std::string::npos) << r.out;
}

TEST(ShmTool, NoServerGivesAClearMessage) {
  std::string name = unique_shm_name() + "-none";
  for (bool json : {true, false}) {
    SCOPED_TRACE(json ? "--json" : "text");
    std::vector<std::string> args{shm_bin(), "--shm-name", name};
    if (json) args.push_back("--json");
    CommandResult r = run_command(args, 10000);
    EXPECT_NE(r.exit_code(), 0) << r.describe();
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.out, "") << "nothing on stdout for a script to mistake for data";
    EXPECT_NE(r.err.find(name), std::string::npos) << "the message should name the segment: " << r.err;
    EXPECT_NE(r.err.find("no server"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(shm_exists(name)) << "the tool must never create a segment";
}

TEST(ShmTool, StoppedServerIsReportedAsNotRunning) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_EQ(shm_json(s.shm_name).exit_code(), 0);
  ASSERT_TRUE(s.stop());
  CommandResult r = shm_json(s.shm_name);
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.err.find("no server"), std::string::npos) << r.err;
}

TEST(ShmTool, ForeignSegmentIsRefused) {
  std::string name = unique_shm_name() + "-foreign";
  write_file("/dev/shm/" + name, std::string(8192, 'x'));
  CommandResult r = shm_json(name);
  shm_remove(name);
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("not made by backend-server"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace itest
