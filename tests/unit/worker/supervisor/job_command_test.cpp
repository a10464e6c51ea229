#include "worker/supervisor/job_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace backend::worker {
namespace {

using backend::testing::TempDir;

std::string make_file(const std::string& path, bool executable) {
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  chmod(path.c_str(), executable ? 0755 : 0644);
  return path;
}

const std::map<std::string, std::string> kInterpreters{{".php", "sh"}};  // sh stands in for php here

RunSettings settings(const std::string& command, const std::string& params = "") {
  RunSettings s;
  s.command = command;
  s.params = params;
  return s;
}

TEST(JobCommand, AnExecutableRunsDirectlyWithItsWordsInItsFolder) {
  TempDir d;
  std::string prog = make_file(d.path + "/job.sh", true);
  SpawnSpec spec;
  ASSERT_FALSE(resolve_command(settings(prog, "a 'b c'"), kInterpreters, spec));
  EXPECT_EQ(spec.program, prog);
  EXPECT_EQ(spec.argv, (std::vector<std::string>{prog, "a", "b c"}));
  EXPECT_EQ(spec.cwd, d.path);
  EXPECT_FALSE(spec.uid);
}

TEST(JobCommand, APhpFileRunsThroughItsInterpreterFoundInPath) {
  TempDir d;
  std::string script = make_file(d.path + "/worker.php", false);
  SpawnSpec spec;
  ASSERT_FALSE(resolve_command(settings(script, "-x"), kInterpreters, spec));
  EXPECT_EQ(spec.program.substr(spec.program.rfind('/')), "/sh");
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"sh", script, "-x"}));
}

TEST(JobCommand, AnExplicitInterpreterWins) {
  TempDir d;
  std::string script = make_file(d.path + "/x.py", true);
  RunSettings s = settings(script);
  s.interpreter = "/bin/sh";
  SpawnSpec spec;
  ASSERT_FALSE(resolve_command(s, kInterpreters, spec));
  EXPECT_EQ(spec.program, "/bin/sh");
  EXPECT_EQ(spec.argv[1], script);
}

TEST(JobCommand, CwdAndEnvAreApplied) {
  TempDir d;
  RunSettings s = settings(make_file(d.path + "/j", true));
  s.cwd = "/tmp";
  s.env = {{"CF_VAR", "hello"}, {"PATH", "/only/this"}};
  SpawnSpec spec;
  ASSERT_FALSE(resolve_command(s, kInterpreters, spec));
  EXPECT_EQ(spec.cwd, "/tmp");
  int path_entries = 0;
  bool var = false;
  for (const auto& e : spec.env) {
    if (e.rfind("PATH=", 0) == 0) {
      ++path_entries;
      EXPECT_EQ(e, "PATH=/only/this");
    }
    var |= e == "CF_VAR=hello";
  }
  EXPECT_EQ(path_entries, 1);  // replaced, not doubled
  EXPECT_TRUE(var);
}

TEST(JobCommand, ClearSentencesForWhatCannotRun) {
  TempDir d;
  SpawnSpec spec;
  auto err = resolve_command(settings(d.path + "/missing.sh"), kInterpreters, spec);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("does not exist"), std::string::npos) << *err;
  err = resolve_command(settings(make_file(d.path + "/plain.txt", false)), kInterpreters, spec);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("not executable"), std::string::npos) << *err;
  err = resolve_command(settings(d.path), kInterpreters, spec);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("folder"), std::string::npos) << *err;
  RunSettings s = settings(make_file(d.path + "/j.php", false));
  s.interpreter = "no-such-interpreter-anywhere";
  err = resolve_command(s, kInterpreters, spec);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("was not found"), std::string::npos) << *err;
  err = resolve_command(settings(make_file(d.path + "/k", true), "'unterminated"), kInterpreters, spec);
  ASSERT_TRUE(err);
  s = settings(make_file(d.path + "/u", true));
  s.user = "no-such-user-here";
  err = resolve_command(s, kInterpreters, spec);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("no-such-user-here"), std::string::npos) << *err;
}

TEST(JobCommand, ReadsRunSettingsFromStoredJson) {
  RunSettings s;
  ASSERT_FALSE(read_run_settings(
      R"({"command":"/x","params":"-v","writelog":true,"stopsignal":"INT","stoptimeout":3,"env":{"A":"1"},"cwd":"/c"})", s));
  EXPECT_EQ(s.command, "/x");
  EXPECT_EQ(s.params, "-v");
  EXPECT_TRUE(s.writelog);
  EXPECT_EQ(s.stop_signal, SIGINT);
  EXPECT_EQ(s.stop_timeout, 3u);
  EXPECT_EQ(s.env.at("A"), "1");
  EXPECT_EQ(s.cwd, "/c");
  RunSettings d;
  ASSERT_FALSE(read_run_settings(R"({"command":"/x"})", d));
  EXPECT_EQ(d.stop_signal, SIGTERM);
  EXPECT_EQ(d.stop_timeout, 10u);
  EXPECT_FALSE(d.writelog);
  EXPECT_TRUE(read_run_settings("not json", d));
}


}  // namespace
}  // namespace backend::worker
