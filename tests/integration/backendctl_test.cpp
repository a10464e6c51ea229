// backendctl against a real server: the exact output of ls, status and
// read, every exit status, read -f following a job, --json, and the auth
// password taken from the environment.
//
// Fields that change from run to run are masked by rule, never skipped:
// the job's pid is known (its script writes it to a file), uptimes and
// sizes must have their humanised shape, times their date shape; the rest
// of the output is compared byte for byte.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/job_script.h"
#include "tests/support/server_fixture.h"

#ifndef BACKENDCTL_BIN
#error "BACKENDCTL_BIN must be defined by the build"
#endif

namespace itest {
namespace {

// backendctl with a clean environment (none of the caller's BACKEND_*
// variables), `env` ("NAME=value") added, `--port port` first.
std::vector<std::string> ctl_argv(uint16_t port, const std::vector<std::string>& args,
                                  const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {BACKENDCTL_BIN, "--port", std::to_string(port)});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CommandResult ctl(uint16_t port, const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  return run_command(ctl_argv(port, args, env), 20000);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Every "[yy-mm-dd HH:MM:SS] " line prefix becomes "[T] ".
std::string mask_prefixes(const std::string& text) {
  static const std::regex prefix(R"(^\[\d\d-\d\d-\d\d \d\d:\d\d:\d\d\] )");
  std::string out;
  for (const auto& line : split_lines(text)) out += std::regex_replace(line, prefix, "[T] ") + "\n";
  return out;
}

// Every local time "YYYY-MM-DD HH:MM:SS" becomes "<time>".
std::string mask_times(const std::string& text) {
  static const std::regex time(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");
  return std::regex_replace(text, time, "<time>");
}

bool matches(const std::string& text, const char* pattern) { return std::regex_match(text, std::regex(pattern)); }
constexpr const char* kUptimeShape = R"(\d+s|\d+m( \d+s)?)";  // a job started seconds ago
constexpr const char* kMemShape = R"(\d+ KiB|\d+\.\d MiB)";

// The cells of a table line: cells hold single spaces at most ("5m 2s",
// "1.5 MiB"), columns are two or more apart.
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> out;
  for (size_t at = 0; at < line.size();) {
    size_t gap = line.find("  ", at);
    out.push_back(line.substr(at, gap - at));
    if (gap == std::string::npos) break;
    at = line.find_first_not_of(' ', gap);
  }
  return out;
}

// Left-aligned columns two spaces apart, as wide as their widest cell, no
// trailing blanks: what `ls` must print for these cells.
std::string aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c)
      line += r[c] + (c + 1 < r.size() ? std::string(width[c] - r[c].size() + 2, ' ') : "");
    out += line + "\n";
  }
  return out;
}

std::string jp(const std::string& job) { return R"({"jobname":")" + job + R"("})"; }

class BackendctlTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(s.start()); }
  void TearDown() override {
    if (HasFailure()) s.print_stderr_tails();
  }

  CommandResult run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    return ctl(s.port, args, env);
  }

  testing::AssertionResult add(const JobScript& j, const std::vector<std::string>& options = {}) {
    std::vector<std::string> args = {"add", j.name, j.path};
    args.insert(args.end(), options.begin(), options.end());
    auto r = run(args);
    if (r.exit_code() == 0 && r.out.empty() && r.err.empty()) return testing::AssertionSuccess();
    return testing::AssertionFailure() << "add " << j.name << ": " << r.describe();
  }

  // Starts the job and waits until its script has written its pid.
  pid_t start(const JobScript& j) {
    unlink(j.pidfile.c_str());
    auto r = run({"start", j.name});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    pid_t pid = 0;
    EXPECT_TRUE(wait_until([&] { return (pid = read_pidfile(j.pidfile)) > 0; }, 3000, 5)) << j.name;
    return pid;
  }

  bool wait_down(const std::string& job) {
    return wait_until([&] { return run({"status", "-s", job}).out == "DOWN\n"; }, 5000, 20);
  }

  Server s;
};

// The suite's name is the tool's, so that `ctest -R backendctl` selects it.
using backendctl = BackendctlTest;

TEST_F(backendctl, LsPrintsEveryJobInAlignedColumns) {
  auto empty = run({"ls"});
  EXPECT_EQ(empty.exit_code(), 0) << empty.describe();
  EXPECT_EQ(empty.out, "NAME  STATE  PID  UPTIME  MEMORY  RESTARTS  EXIT\n");

  auto alpha = write_script(s, "alpha", "echo one\n" + std::string(kIdle));
  auto beta = write_script(s, "beta", kIdle);
  auto gamma = write_script(s, "gamma-with-a-long-name", "exit 3\n");
  auto delta = write_script(s, "delta", kIdle);
  for (const auto* j : {&alpha, &beta, &gamma, &delta}) ASSERT_TRUE(add(*j));
  pid_t pid = start(alpha);
  start(gamma);
  start(delta);
  ASSERT_EQ(run({"stop", "delta"}).exit_code(), 0);
  ASSERT_TRUE(wait_down(gamma.name));

  auto r = run({"ls"});
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.err, "");
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  // alpha's row, whose uptime and memory vary: their shapes are checked,
  // then the values themselves go into the expected table.
  auto row = cells_of(lines[1]);
  ASSERT_EQ(row.size(), 7u) << lines[1];
  EXPECT_TRUE(matches(row[3], kUptimeShape)) << row[3];
  EXPECT_TRUE(matches(row[4], kMemShape)) << row[4];
  std::string expected = aligned({
      {"NAME", "STATE", "PID", "UPTIME", "MEMORY", "RESTARTS", "EXIT"},
      {"alpha", "UP", std::to_string(pid), row[3], row[4], "0", "-"},
      {"beta", "DOWN", "-", "-", "-", "0", "-"},
      {"delta", "DOWN", "-", "-", "-", "0", "SIGTERM"},
      {"gamma-with-a-long-name", "DOWN", "-", "-", "-", "0", "3"},
  });
  EXPECT_EQ(r.out, expected);

  EXPECT_EQ(run({"ls", "--names"}).out, "alpha\nbeta\ndelta\ngamma-with-a-long-name\n");
  EXPECT_EQ(run({"statusall"}).out.substr(0, 4), "NAME") << "statusall is ls";
}

TEST_F(backendctl, StatusPrintsTheStateThenTheDetails) {
  auto up = write_script(s, "up", kIdle);
  auto never = write_script(s, "never", kIdle);
  auto failed = write_script(s, "failed", "exit 3\n");
  for (const auto* j : {&up, &never, &failed}) ASSERT_TRUE(add(*j));
  pid_t pid = start(up);
  start(failed);
  ASSERT_TRUE(wait_down("failed"));

  auto r = run({"status", "never"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out,
            "DOWN\n"
            "  pid:       -\n"
            "  uptime:    -\n"
            "  memory:    -\n"
            "  restarts:  0\n"
            "  last exit: -\n");

  r = run({"status", "failed"});
  std::string shown = mask_times(r.out);
  EXPECT_EQ(shown.substr(0, shown.find("  started by")),
            "DOWN\n"
            "  pid:       -\n"
            "  uptime:    -\n"
            "  memory:    -\n"
            "  restarts:  0\n"
            "  last exit: code 3 at <time>\n");
  EXPECT_NE(shown.find("  started by: manual\n  recent runs, newest first:\n    <time>  code 3, ran "),
            std::string::npos)
      << shown;

  r = run({"status", "up"});
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 7u) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[2], m, std::regex(R"(  uptime:    (.*) \(since .*\))"))) << lines[2];
  std::string uptime = m[1];
  EXPECT_TRUE(matches(uptime, kUptimeShape)) << uptime;
  ASSERT_TRUE(std::regex_match(lines[3], m, std::regex("  memory:    (.*)"))) << lines[3];
  std::string mem = m[1];
  EXPECT_TRUE(matches(mem, kMemShape)) << mem;
  std::string expected = "UP\n";
  expected += "  pid:       " + std::to_string(pid) + "\n";
  expected += "  uptime:    " + uptime + " (since <time>)\n";
  expected += "  memory:    " + mem + "\n";
  expected += "  restarts:  0\n";
  expected += "  last exit: -\n";
  expected += "  started by: manual\n";
  EXPECT_EQ(mask_times(r.out), expected);

  EXPECT_EQ(run({"status", "-s", "up"}).out, "UP\n");
  EXPECT_EQ(run({"status", "--short", "never"}).out, "DOWN\n");
}

TEST_F(backendctl, ReadPrintsTheBufferLineByLine) {
  auto talk = write_script(s, "talk", "echo one\necho two\necho three\nexit 0\n");
  auto silent = write_script(s, "silent", kIdle);
  ASSERT_TRUE(add(talk));
  ASSERT_TRUE(add(silent));
  start(talk);
  ASSERT_TRUE(wait_down("talk"));

  auto r = run({"read", "talk"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  auto lines = split_lines(r.out);
  EXPECT_EQ(mask_prefixes(r.out), "[T] one\n[T] two\n[T] three\n[T] Process \"talk\" exit with code 0.\n");
  for (const auto& line : lines) EXPECT_NE(mask_prefixes(line), line + "\n") << "no time prefix: " << line;

  r = run({"read", "silent"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out, "") << "an empty buffer prints nothing, not an empty line";
}

// A reader of `backendctl read -f` through a pipe, as a terminal would see it.
class Follower {
 public:
  explicit Follower(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    std::vector<std::string> args = argv;
    std::vector<char*> c;
    for (auto& a : args) c.push_back(a.data());
    c.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 2);
      execv(c[0], c.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Follower() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  // Reads until `text` has come (true) or timeout_ms passed.
  bool wait_for(const std::string& text, int timeout_ms) {
    int64_t deadline = now_ms() + timeout_ms;
    while (out_.find(text) == std::string::npos) {
      int64_t left = deadline - now_ms();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return false;
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return false;
      out_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  // Its exit status once it exits within timeout_ms; -1 otherwise.
  int wait_exit(int timeout_ms) {
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms, 10)) return -1;
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  pid_t pid() const { return pid_; }
  const std::string& out() const { return out_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool reaped_ = false;
  std::string out_;
};

TEST_F(backendctl, ReadFollowPrintsNewLinesAsTheyComeUntilCtrlC) {
  std::string go = s.dir + "/go";
  auto talker = write_script(s, "talker",
                             "echo first\n"
                             "while [ ! -e '" +
                                 go +
                                 "' ]; do sleep 0.05; done\n"
                                 "echo second\n" +
                                 kIdle);
  ASSERT_TRUE(add(talker));
  start(talker);
  Follower f(ctl_argv(s.port, {"read", "-f", "talker"}));
  ASSERT_GT(f.pid(), 0);
  ASSERT_TRUE(f.wait_for("first\n", 5000)) << f.out();
  EXPECT_EQ(f.out().find("second"), std::string::npos) << "printed before the job printed it";
  write_file(go, "");
  ASSERT_TRUE(f.wait_for("second\n", 5000)) << f.out();
  // Some polls later, nothing has been printed twice.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  f.wait_for("never printed", 100);
  EXPECT_EQ(mask_prefixes(f.out()), "[T] first\n[T] second\n");
  kill(f.pid(), SIGINT);
  EXPECT_EQ(f.wait_exit(5000), 0) << "Ctrl-C ends a follow with exit status 0";
}

TEST_F(backendctl, ReadFollowEndsWithStatus4WhenTheServerGoes) {
  auto idle = write_script(s, "idle", kIdle);
  ASSERT_TRUE(add(idle));
  Follower f(ctl_argv(s.port, {"read", "-f", "idle"}));
  ASSERT_GT(f.pid(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(f.wait_exit(0), -1) << "it follows until something ends it";
  ASSERT_TRUE(s.stop());
  EXPECT_EQ(f.wait_exit(10000), 4);
}

TEST_F(backendctl, ExitStatusFollowsTheReplyCode) {
  auto ok = run({"getall"});
  EXPECT_EQ(ok.exit_code(), 0) << ok.describe();
  EXPECT_EQ(ok.out, "{}\n");

  auto failed = run({"start", "nosuch"});
  EXPECT_EQ(failed.exit_code(), 1) << failed.describe();
  EXPECT_EQ(failed.out, "");
  EXPECT_EQ(failed.err, "FAILED: job \"nosuch\" does not exist\n");

  auto unknown = run({"call", "NOSUCH"});
  EXPECT_EQ(unknown.exit_code(), 3) << unknown.describe();
  EXPECT_EQ(unknown.out, "");
  EXPECT_EQ(unknown.err.rfind("UNKNOWN: ", 0), 0u) << unknown.err;

  auto called = run({"call", "STATUS", R"({"jobname":"nosuch"})"});
  EXPECT_EQ(called.exit_code(), 1) << called.describe();
  EXPECT_EQ(run({"call", "GETALL"}).out, "{}\n");
}

TEST_F(backendctl, ExitStatusIs4WithoutAServer) {
  uint16_t nobody = pick_free_port();
  auto r = ctl(nobody, {"ls"});
  EXPECT_EQ(r.exit_code(), 4) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("backendctl: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:" + std::to_string(nobody)), std::string::npos) << r.err;
  r = ctl(nobody, {"read", "-f", "x"});
  EXPECT_EQ(r.exit_code(), 4) << r.describe();
}

TEST_F(backendctl, ExitStatusIs64ForUsageErrorsWithAShortUsage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{}, "backendctl: no command given\n"},
      {{"frobnicate"}, "backendctl: unknown command \"frobnicate\"\n"},
      {{"start"}, "backendctl: too few arguments\nUsage: backendctl [GLOBAL OPTIONS] start NAME\n"},
      {{"start", "a", "b"}, "backendctl: unexpected argument \"b\"\n"},
      {{"read", "x", "--nope"}, "backendctl: unknown option --nope\n"},
      {{"add", "x", "/bin/true", "--user", "root"},
       "backendctl: --user is a global option: give it before the command\n"},
      {{"add", "x", "/bin/true", "--buffersize", "0"},
       "backendctl: --buffersize must be a whole number from 1 to 10000"},
      {{"update", "x"}, "backendctl: nothing to update"},
      {{"auth", "setenable", "maybe"}, "backendctl: expected on or off, not \"maybe\"\n"},
      {{"auth"}, "backendctl: auth needs a command\n"},
      {{"schedule", "add", "x"}, "backendctl: give --cron EXPR or --condition JSON\n"},
      {{"call", "X", "[1]"}, "backendctl: PARAMS must be a JSON object"},
      {{"--port", "0", "ls"}, "backendctl: --port must be a whole number from 1 to 65535"},
      {{"--timeout", "never", "ls"}, "backendctl: --timeout must be a number of seconds"},
  };
  for (const auto& c : cases) {
    auto r = run(c.args);
    std::string what;
    for (const auto& a : c.args) what += a + " ";
    EXPECT_EQ(r.exit_code(), 64) << what << r.describe();
    EXPECT_EQ(r.out, "") << what;
    EXPECT_EQ(r.err.rfind(c.message, 0), 0u) << what << "\n" << r.err;
    EXPECT_NE(r.err.find("Usage: backendctl"), std::string::npos) << what << "\n" << r.err;
  }
  EXPECT_EQ(run({"getall"}).out, "{}\n") << "no usage error changed anything";
}

TEST_F(backendctl, HelpGoesToStdoutWithStatus0ForTheToolAndEveryCommand) {
  for (const char* flag : {"--help", "-h"}) {
    auto r = run({flag});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(r.out.rfind("backendctl: control a backend-server", 0), 0u) << r.out;
    EXPECT_EQ(r.err, "");
  }
  const std::vector<std::string> commands = {"add",
                                             "update",
                                             "delete",
                                             "get",
                                             "getall",
                                             "start",
                                             "stop",
                                             "restart",
                                             "status",
                                             "ls",
                                             "statusall",
                                             "read",
                                             "mem",
                                             "memall",
                                             "server mem",
                                             "server read",
                                             "call",
                                             "auth getenable",
                                             "auth setenable",
                                             "auth add",
                                             "auth delete",
                                             "auth update",
                                             "auth get",
                                             "auth getall",
                                             "logs ls",
                                             "logs files",
                                             "logs cat",
                                             "logs server-ls",
                                             "logs server-files",
                                             "logs server-cat",
                                             "schedule add",
                                             "schedule delete",
                                             "schedule update",
                                             "schedule get",
                                             "schedule ls",
                                             "schedule log"};
  for (const auto& c : commands) {
    std::vector<std::string> args;
    std::istringstream words(c);
    for (std::string w; words >> w;) args.push_back(w);
    for (const char* flag : {"--help", "-h"}) {
      args.push_back(flag);
      auto r = run(args);
      args.pop_back();
      EXPECT_EQ(r.exit_code(), 0) << c << " " << flag << ": " << r.describe();
      std::string usage = "Usage: backendctl [GLOBAL OPTIONS] " + (c == "statusall" ? std::string("ls") : c);
      EXPECT_EQ(r.out.rfind(usage, 0), 0u) << c << " " << flag << ": " << r.out;
      EXPECT_EQ(r.err, "") << c;
    }
  }
  for (const char* group : {"server", "auth", "logs", "schedule"}) {
    auto r = run({group, "--help"});
    EXPECT_EQ(r.exit_code(), 0) << group << ": " << r.describe();
    EXPECT_NE(r.out.find(std::string(group) + " COMMAND"), std::string::npos) << r.out;
  }
}

TEST_F(backendctl, JsonPrintsEachReplyAsReceived) {
  auto idle = write_script(s, "idle", kIdle);
  ASSERT_TRUE(add(idle));
  auto direct = s.request("STATUS", R"({"jobname":"idle","detail":true})");
  ASSERT_TRUE(direct) << "no reply";
  auto r = run({"--json", "status", "idle"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out, direct->raw + "\n");
  EXPECT_EQ(r.out, R"({"code":"OK","data":{"state":"DOWN","pid":null,"started":null,"uptime":null,"restarts":0,)"
                   R"("last_exit":null,"mem":null,"reason":null,"cpu":null,"backoff":0,"cluster":false,"history":[]}})"
                   "\n");

  r = run({"get", "idle", "--json"});
  EXPECT_EQ(r.out, s.request("GET", jp("idle"))->raw + "\n") << "--json after the command too";

  r = run({"--json", "start", "nosuch"});
  EXPECT_EQ(r.exit_code(), 1) << r.describe();
  EXPECT_EQ(r.out, "{\"code\":\"FAILED\",\"error\":\"job \\\"nosuch\\\" does not exist\"}\n");
  EXPECT_EQ(r.err, "FAILED: job \"nosuch\" does not exist\n");

  r = run({"--json", "stop", "idle"});
  EXPECT_EQ(r.exit_code(), 1);
  r = run({"--json", "call", "NOSUCH"});
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_EQ(r.out.rfind("{\"code\":\"UNKNOWN\"", 0), 0u) << r.out;
}

TEST_F(backendctl, AuthDeniesWithoutTheRightPasswordAndTakesItFromTheEnvironment) {
  auto r = run({"auth", "add", "admin", "*"}, {"BACKEND_NEW_PASSWORD=s3cret pass"});
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  r = run({"auth", "add", "bob", "STATUSALL"});
  EXPECT_EQ(r.exit_code(), 64) << "a new password never comes from the command line: " << r.describe();
  EXPECT_NE(r.err.find("BACKEND_NEW_PASSWORD"), std::string::npos) << r.err;
  ASSERT_EQ(run({"auth", "add", "bob", "STATUSALL"}, {"BACKEND_NEW_PASSWORD=bobs"}).exit_code(), 0);
  ASSERT_EQ(run({"auth", "setenable", "on"}).exit_code(), 0);

  r = run({"ls"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("DENIED", 0), 0u) << r.err;
  r = run({"--user", "admin", "ls"}, {"BACKEND_PASSWORD=wrong"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe();
  r = run({"--user", "admin", "ls"});
  EXPECT_EQ(r.exit_code(), 64) << "no password, no terminal to ask on: " << r.describe();
  EXPECT_NE(r.err.find("BACKEND_PASSWORD"), std::string::npos) << r.err;

  r = run({"--user", "admin", "ls"}, {"BACKEND_PASSWORD=s3cret pass"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out, "NAME  STATE  PID  UPTIME  MEMORY  RESTARTS  EXIT\n");
  r = run({"auth", "getenable"}, {"BACKEND_USER=admin", "BACKEND_PASSWORD=s3cret pass"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out, "on\n");

  // bob may list, nothing else.
  EXPECT_EQ(run({"-u", "bob", "ls"}, {"BACKEND_PASSWORD=bobs"}).exit_code(), 0);
  EXPECT_EQ(run({"-u", "bob", "getall"}, {"BACKEND_PASSWORD=bobs"}).exit_code(), 2);
  // A new password through --password-prompt, from the environment.
  r = run({"-u", "admin", "auth", "update", "bob", "--password-prompt"},
          {"BACKEND_PASSWORD=s3cret pass", "BACKEND_NEW_PASSWORD=newbob"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(run({"-u", "bob", "ls"}, {"BACKEND_PASSWORD=bobs"}).exit_code(), 2);
  EXPECT_EQ(run({"-u", "bob", "ls"}, {"BACKEND_PASSWORD=newbob"}).exit_code(), 0);

  r = run({"-u", "admin", "auth", "get", "bob"}, {"BACKEND_PASSWORD=s3cret pass"});
  EXPECT_EQ(r.out, "{\n  \"username\": \"bob\",\n  \"privileges\": \"STATUSALL\"\n}\n") << r.describe();
}

TEST_F(backendctl, AddUpdateGetAndDeleteAJob) {
  auto web = write_script(s, "web", kIdle);
  ASSERT_TRUE(add(web, {"--params", "-x 'a b'", "--buffersize", "5", "--writelog", "--env", "A=1", "--env",
                        "B=two words", "--cwd", "/tmp", "--stoptimeout", "3", "--set", "note=hi"}));
  auto r = run({"get", "web"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  auto settings = parse_json(r.out);
  ASSERT_TRUE(settings) << r.out;
  EXPECT_EQ(r.out.find("{\n  \"jobname\": \"web\",\n"), 0u) << "indented JSON: " << r.out;
  auto& d = *settings;
  EXPECT_STREQ(d["command"].GetString(), web.path.c_str());
  EXPECT_STREQ(d["params"].GetString(), "-x 'a b'");
  EXPECT_EQ(d["buffersize"].GetInt(), 5);
  EXPECT_TRUE(d["writelog"].GetBool());
  EXPECT_STREQ(d["env"]["B"].GetString(), "two words");
  EXPECT_STREQ(d["cwd"].GetString(), "/tmp");
  EXPECT_EQ(d["stoptimeout"].GetInt(), 3);
  EXPECT_STREQ(d["note"].GetString(), "hi");

  ASSERT_EQ(run({"update", "web", "--no-writelog", "--buffersize", "7"}).exit_code(), 0);
  auto after = parse_json(run({"get", "web"}).out);
  ASSERT_TRUE(after);
  EXPECT_FALSE((*after)["writelog"].GetBool());
  EXPECT_EQ((*after)["buffersize"].GetInt(), 7);
  EXPECT_STREQ((*after)["params"].GetString(), "-x 'a b'") << "what update does not name stays";

  start(web);
  EXPECT_EQ(run({"delete", "web"}).exit_code(), 1) << "a running job is not deleted";
  EXPECT_EQ(run({"restart", "web"}).exit_code(), 0);
  EXPECT_EQ(run({"stop", "web"}).exit_code(), 0);
  EXPECT_EQ(run({"delete", "web"}).exit_code(), 0);
  r = run({"get", "web"});
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.err, "FAILED: job \"web\" does not exist\n");
}

TEST_F(backendctl, MemoryIsHumanised) {
  auto idle = write_script(s, "idle", kIdle);
  ASSERT_TRUE(add(idle));
  auto r = run({"mem", "idle"});
  EXPECT_EQ(r.exit_code(), 1) << "not running: " << r.describe();
  EXPECT_EQ(run({"memall"}).out, "NAME  MEMORY\n");
  start(idle);
  r = run({"mem", "idle"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  ASSERT_FALSE(r.out.empty());
  EXPECT_TRUE(matches(r.out.substr(0, r.out.size() - 1), kMemShape)) << r.out;
  r = run({"memall"});
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0], "NAME  MEMORY");
  EXPECT_TRUE(matches(lines[1], R"(idle  (\d+ KiB|\d+\.\d MiB))")) << lines[1];
  r = run({"server", "mem"});
  EXPECT_TRUE(matches(r.out, R"(\d+\.\d MiB\n)")) << r.describe();
  r = run({"server", "read"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.out.find("started"), std::string::npos) << r.out;
}

TEST_F(backendctl, SchedulesAndLogFiles) {
  auto web = write_script(s, "web", "echo logged\n" + std::string(kIdle));
  ASSERT_TRUE(add(web, {"--writelog"}));
  auto r = run({"schedule", "add", "web", "--cron", "0 3 * * *", "--disabled"});
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  ASSERT_TRUE(matches(r.out, R"([0-9a-f-]{36}\n)")) << r.out;
  std::string uuid = r.out.substr(0, 36);
  std::string header = "JOB  UUID" + std::string(34, ' ') + "ENABLED  CONDITION\n";
  EXPECT_EQ(run({"schedule", "ls"}).out, header + "web  " + uuid + "  no       {\"cron\":\"0 3 * * *\"}\n");
  r = run({"schedule", "update", "web", uuid, "--enabled", "--condition", R"({"H":"03","i":"00"})"});
  ASSERT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(run({"schedule", "get", "web", uuid}).out,
            "{\n  \"enable\": true,\n  \"condition\": {\n    \"H\": \"03\",\n    \"i\": \"00\"\n  }\n}\n");
  r = run({"schedule", "log", "web", uuid});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_EQ(r.out, "") << "it never ran";
  EXPECT_EQ(run({"schedule", "delete", "web", uuid}).exit_code(), 0);
  EXPECT_EQ(run({"schedule", "get", "web", uuid}).exit_code(), 1);

  start(web);
  ASSERT_TRUE(wait_until([&] { return !run({"logs", "ls", "web"}).out.empty(); }, 3000)) << "no day folder";
  std::string day = split_lines(run({"logs", "ls", "web"}).out)[0];  // the newest
  r = run({"logs", "files", "web", day});
  auto files = split_lines(r.out);
  ASSERT_FALSE(files.empty()) << r.describe();
  std::string out_file;
  for (const auto& f : files)
    if (f.find("error") == std::string::npos) out_file = f;
  ASSERT_FALSE(out_file.empty()) << r.out;
  auto cat = [&] { return run({"logs", "cat", "web", day, out_file}); };
  ASSERT_TRUE(wait_until([&] { return cat().out.find("logged") != std::string::npos; }, 3000)) << cat().describe();
  r = cat();
  EXPECT_EQ(mask_prefixes(r.out), "[T] logged\n");
  r = run({"logs", "cat", "web", day, "../../x"});
  EXPECT_EQ(r.exit_code(), 1) << r.describe();
  r = run({"logs", "server-ls"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_TRUE(matches(r.out, R"((\d{8}\n)+)")) << r.out;
}

// The completion function, run by bash as it would run it for a TAB after
// `words` (the last one being the word under the cursor).
std::string complete(uint16_t port, const std::vector<std::string>& words) {
  const char* script =
      "source \"$0\"; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _backendctl; printf '%s\\n' \"${COMPREPLY[@]}\"";
  std::vector<std::string> argv = {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "/bin/bash", "-c", script};
  argv.insert(argv.end(), {BACKEND_SOURCE_DIR "/client/backendctl/backendctl.bash", BACKENDCTL_BIN, "--port",
                           std::to_string(port)});
  argv.insert(argv.end(), words.begin(), words.end());
  auto r = run_command(argv);
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  return r.out;
}

TEST_F(backendctl, BashCompletionOffersCommandsOptionsAndTheServersJobNames) {
  auto web = write_script(s, "web", kIdle);
  auto worker = write_script(s, "worker", kIdle);
  auto other = write_script(s, "other", kIdle);
  for (const auto* j : {&web, &worker, &other}) ASSERT_TRUE(add(*j));
  EXPECT_EQ(complete(s.port, {"start", "w"}), "web\nworker\n");
  EXPECT_EQ(complete(s.port, {"logs", "ls", ""}), "other\nweb\nworker\n");
  EXPECT_EQ(complete(s.port, {"sch"}), "schedule\n");
  EXPECT_EQ(complete(s.port, {"schedule", "l"}), "ls\nlog\n");
  EXPECT_EQ(complete(s.port, {"read", "web", "-"}), "-f\n--follow\n-h\n--help\n--json\n");
  EXPECT_EQ(complete(s.port, {"add", "x", "/bin/true", "--no-"}), "--no-writelog\n--no-autostart\n--no-guard\n");
  EXPECT_EQ(complete(s.port, {"auth", "setenable", ""}), "on\noff\n");
}

}  // namespace
}  // namespace itest
