// Runs every client example (client/examples) against a real server: each
// must exit 0, twice in a row (they clean up after themselves), and leave
// no job, schedule or auth user behind.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

class ExamplesTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(s.start()); }
  void TearDown() override {
    if (HasFailure()) s.print_stderr_tails();
  }

  CommandResult run_example(const char* bin, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{bin, "127.0.0.1", std::to_string(s.port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, 60000);
  }

  // Passes, twice, and the server is left as it was found.
  void expect_passes_twice(const char* bin, const std::vector<std::string>& extra = {}) {
    for (int round = 1; round <= 2; ++round) {
      CommandResult r = run_example(bin, extra);
      EXPECT_EQ(r.exit_code(), 0) << "round " << round << ": " << r.describe();
      EXPECT_EQ(data_of("GETALL"), "{}") << "round " << round << ": a job was left behind";
    }
  }

  std::string data_of(const char* command) {
    auto r = s.request(command);
    return ok(r) ? r->data_json() : "<" + raw_of(r) + ">";
  }

  Server s;
};

TEST_F(ExamplesTest, BaseAddsStartsAndReadsAJob) {
  CommandResult r = run_example(EXAMPLE_BASE_BIN);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("start(\"example-base\") -> OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("] 2\n"), std::string::npos) << "READ shows the counter: " << r.out;
  expect_passes_twice(EXAMPLE_BASE_BIN);
}

// The original's job script: run through php, as .php files are by default
// (run/setup.sh installs php).
TEST_F(ExamplesTest, BaseRunsThePhpScript) {
  expect_passes_twice(EXAMPLE_BASE_BIN, {"--script", EXAMPLES_SCRIPT_DIR "/test.php"});
}

TEST_F(ExamplesTest, AutostartJobIsUpAfterTheServerRestarts) {
  expect_passes_twice(EXAMPLE_AUTOSTART_BIN);

  CommandResult keep = run_example(EXAMPLE_AUTOSTART_BIN, {"--keep"});
  ASSERT_EQ(keep.exit_code(), 0) << keep.describe();
  ASSERT_NE(data_of("GETALL").find("\"autostart\":true"), std::string::npos) << data_of("GETALL");
  ASSERT_TRUE(s.stop());
  ASSERT_TRUE(s.start());
  CommandResult check = run_example(EXAMPLE_AUTOSTART_BIN);
  EXPECT_EQ(check.exit_code(), 0) << check.describe();
  EXPECT_NE(check.out.find("must have started it"), std::string::npos) << check.out;
  EXPECT_EQ(data_of("GETALL"), "{}");
}

TEST_F(ExamplesTest, AutostartCheckFailsWhenTheServerWasNotRestarted) {
  CommandResult keep = run_example(EXAMPLE_AUTOSTART_BIN, {"--keep"});
  ASSERT_EQ(keep.exit_code(), 0) << keep.describe();
  CommandResult check = run_example(EXAMPLE_AUTOSTART_BIN);
  EXPECT_NE(check.exit_code(), 0) << check.describe();
  EXPECT_EQ(data_of("GETALL"), "{}") << "it cleans up all the same";
}

TEST_F(ExamplesTest, GuarderStartsTheKilledJobAgain) {
  CommandResult r = run_example(EXAMPLE_GUARDER_BIN);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find(R"("signal": "SIGKILL")"), std::string::npos) << "STATUS shows the kill: " << r.out;
  expect_passes_twice(EXAMPLE_GUARDER_BIN);
}

TEST_F(ExamplesTest, AuthLeavesAuthDisabledAndNoUser) {
  CommandResult r = run_example(EXAMPLE_AUTH_BIN);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("-> DENIED"), std::string::npos) << r.out;
  EXPECT_EQ(data_of("AUTH.GETENABLE"), "false");
  EXPECT_EQ(data_of("AUTH.GETALL"), "{}");
  expect_passes_twice(EXAMPLE_AUTH_BIN);
  EXPECT_EQ(data_of("AUTH.GETENABLE"), "false");
  EXPECT_EQ(data_of("AUTH.GETALL"), "{}");
}

TEST_F(ExamplesTest, AuthRefusesAServerThatIsAlreadyGuarded) {
  ASSERT_TRUE(ok(s.request("AUTH.SETENABLE", R"({"enable":true})")));
  ASSERT_TRUE(ok(s.request("AUTH.ADD", R"({"username":"admin","password":"secret","privileges":"*"})")));
  CommandResult r = run_example(EXAMPLE_AUTH_BIN);
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  auto users = s.request("AUTH.GETALL", R"({"auth":{"username":"admin","password":"secret"}})");
  ASSERT_TRUE(ok(users)) << raw_of(users);
  EXPECT_EQ(users->data_json().find("example-user"), std::string::npos) << users->data_json();
}

TEST_F(ExamplesTest, LogexplorerListsAndReadsTheJobsLogs) {
  CommandResult r = run_example(EXAMPLE_LOGEXPLORER_BIN);
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find(".log\n"), std::string::npos) << "lists the log files: " << r.out;
  expect_passes_twice(EXAMPLE_LOGEXPLORER_BIN);
}

TEST_F(ExamplesTest, SchedulerAddsShowsAndDeletesSchedules) {
  expect_passes_twice(EXAMPLE_SCHEDULER_BIN);
  EXPECT_EQ(data_of("SCHEDULER.GETALL"), "{}");
}

TEST_F(ExamplesTest, AnExampleFailsWhenNoServerAnswers) {
  uint16_t port = s.port;
  ASSERT_TRUE(s.stop());
  CommandResult r = run_command({EXAMPLE_BASE_BIN, "127.0.0.1", std::to_string(port)}, 30000);
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("no server at"), std::string::npos) << r.out;
}


// The curl session of README.md's "The HTTP face", run as written against
// a server whose HTTP face is on 13124's place: each command's output is
// the one the README shows.
TEST_F(ExamplesTest, TheReadmeCurlSessionAnswersAsWritten) {
  std::ifstream in(README_PATH);
  ASSERT_TRUE(in) << README_PATH;
  std::string line;
  while (std::getline(in, line) && line != "## The HTTP face") {
  }
  while (std::getline(in, line) && line != "```") {
  }
  struct Step {
    std::string command, expected;
  };
  std::vector<Step> steps;
  while (std::getline(in, line) && line != "```") {
    if (line.rfind("$ ", 0) == 0) {
      steps.push_back({line.substr(2), ""});
      while (!steps.back().command.empty() && steps.back().command.back() == '\\' && std::getline(in, line))
        steps.back().command += "\n" + line;
    } else if (!steps.empty()) {
      steps.back().expected += line + "\n";
    }
  }
  ASSERT_GE(steps.size(), 5u) << "the README's curl session was not found";
  const std::string port = std::to_string(s.http_port);
  for (Step& step : steps) {
    for (size_t at; (at = step.command.find("13124")) != std::string::npos;) step.command.replace(at, 5, port);
    CommandResult r = run_command({"/bin/sh", "-c", step.command});
    ASSERT_EQ(r.exit_code(), 0) << step.command << "\n" << r.describe();
    std::string out = r.out;
    if (out.empty() || out.back() != '\n') out += '\n';  // the prompt would follow on a line of its own
    EXPECT_EQ(out, step.expected) << step.command;
  }
  EXPECT_TRUE(ok(s.request("DELETE", R"({"jobname":"clock"})")));
}

}  // namespace
}  // namespace itest
