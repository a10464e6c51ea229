// Running jobs: START/STOP/RESTART, READ with time prefixes, MEM, log files,
// buffersize, exec failures, and what happens to running jobs when the
// supervisor is killed, stopped, or the whole server is told to stop.
// Every job is a script of job_script.h.
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/job_logs.h"
#include "tests/support/job_script.h"
#include "tests/support/server_fixture.h"

namespace itest {
namespace {

namespace fs = std::filesystem;

std::string jp(const std::string& job) { return R"({"jobname":")" + job + R"("})"; }

testing::AssertionResult add_job(const Server& s, const JobScript& j, const std::string& extra = "") {
  auto r = s.request("ADD", R"({"jobname":")" + j.name + R"(","command":")" + j.path + "\"" + extra + "}");
  if (ok(r)) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "ADD " << j.name << ": " << raw_of(r);
}


std::string status_of(const Server& s, const std::string& job, int timeout_ms = 5000) {
  auto r = s.request("STATUS", jp(job), timeout_ms);
  if (!ok(r) || !r->has_data() || !r->data().IsString()) return "<" + raw_of(r) + ">";
  return r->data().GetString();
}

std::string read_of(const Server& s, const std::string& job, int timeout_ms = 5000) {
  auto r = s.request("READ", jp(job), timeout_ms);
  if (!ok(r) || !r->has_data() || !r->data().IsString()) return "<" + raw_of(r) + ">";
  return r->data().GetString();
}

// Seconds between the line's prefix (read as UTC) and now; nullopt when
// the line has no prefix.
std::optional<long> prefix_age(const std::string& line) {
  int f[6];
  if (!parse_prefix(line, f)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = 100 + f[0];
  tm.tm_mon = f[1] - 1;
  tm.tm_mday = f[2];
  tm.tm_hour = f[3];
  tm.tm_min = f[4];
  tm.tm_sec = f[5];
  return static_cast<long>(time(nullptr) - timegm(&tm));
}

// READ's lines without their prefixes (lines without one are kept as they are,
// marked, so that a comparison shows them).
std::vector<std::string> read_texts(const Server& s, const std::string& job) {
  std::vector<std::string> out;
  for (const auto& line : split_lines(read_of(s, job))) out.push_back(unprefixed(line).value_or("NO PREFIX: " + line));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : " | ") + x;
  return out;
}

// "YYYYMMDDHH" of a UTC time.
std::string utc_hour(time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  strftime(buf, sizeof buf, "%Y%m%d%H", &tm);
  return buf;
}

// The server's view through backend-shm --json; nullopt when it fails.
std::optional<rapidjson::Document> shm_state(const Server& s) {
  auto r = run_command({shm_bin(), "--shm-name", s.shm_name, "--json"}, 5000);
  if (r.exit_code() != 0) return std::nullopt;
  auto doc = parse_json(r.out);
  if (!doc || !doc->IsObject()) return std::nullopt;
  return doc;
}

pid_t shm_supervisor_pid(const Server& s) {
  auto doc = shm_state(s);
  if (!doc || !doc->HasMember("supervisor_pid") || !(*doc)["supervisor_pid"].IsInt()) return 0;
  return (*doc)["supervisor_pid"].GetInt();
}

// The pid the shared job table holds for `job`; 0 when none, -1 when unknown.
pid_t shm_job_pid(const Server& s, const std::string& job) {
  auto doc = shm_state(s);
  if (!doc || !doc->HasMember("jobs") || !(*doc)["jobs"].IsArray()) return -1;
  for (const auto& j : (*doc)["jobs"].GetArray())
    if (j.HasMember("name") && j["name"].IsString() && job == j["name"].GetString())
      return j["pid"].IsInt() ? j["pid"].GetInt() : 0;
  return -1;
}

// Gone for good: not even a zombie left (reaped by whoever is its parent).
bool reaped(pid_t pid) { return !file_exists("/proc/" + std::to_string(pid)); }

class JobsTest : public testing::Test {
 protected:
  void SetUp() override {
    s.set("timezone", "\"UTC\"");  // the tests read the time prefixes and log file names as UTC
    ASSERT_TRUE(s.start());
  }
  Server s;
};

// The master is SCHED_BATCH (master/wakeup_policy.h: it must not take the
// CPU from the supervisor each time it is sent a message); the workers, and
// the jobs, are scheduled as any process is.
TEST_F(JobsTest, OnlyTheMasterIsBatchScheduled) {
  auto j = write_script(s, "policy", std::string(kIdle));
  ASSERT_TRUE(add_job(s, j));
  pid_t pid = start_job(s, j);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(sched_getscheduler(s.master_pid()), SCHED_BATCH);
  EXPECT_EQ(sched_getscheduler(s.supervisor_pid()), SCHED_OTHER);
  EXPECT_EQ(sched_getscheduler(s.listener_pid()), SCHED_OTHER);
  EXPECT_EQ(sched_getscheduler(pid), SCHED_OTHER);
}

// ---- 1. START, READ, STATUS, MEM, STOP, START again, RESTART -------------------

TEST_F(JobsTest, StartReadStatusMemStopStartRestart) {
  auto j = write_script(s, "basic", "echo first line\necho 'second line'\necho third line\n" + std::string(kIdle));
  ASSERT_TRUE(add_job(s, j));
  EXPECT_EQ(status_of(s, j.name), "DOWN") << "a job never started";

  pid_t pid = start_job(s, j);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_alive(pid));
  EXPECT_EQ(status_of(s, j.name), "UP");
  EXPECT_EQ(shm_job_pid(s, j.name), pid) << "the job table does not hold the script's pid";
  // A second START of a running job is refused.
  auto again = s.request("START", jp(j.name));
  EXPECT_EQ(code_of(again), "FAILED") << raw_of(again);

  std::vector<std::string> want{"first line", "second line", "third line"};
  std::vector<std::string> texts;
  EXPECT_TRUE(wait_until([&] { return (texts = read_texts(s, j.name)) == want; }, 2000))
      << "READ: " << joined(texts);
  for (const auto& line : split_lines(read_of(s, j.name))) {
    auto age = prefix_age(line);
    ASSERT_TRUE(age) << "no [yy-mm-dd HH:MM:SS] prefix: " << line;
    EXPECT_LE(std::labs(*age), 5) << "the prefix is not the time of the line (UTC): " << line;
  }

  auto mem = s.request("MEM", jp(j.name));
  ASSERT_TRUE(ok(mem)) << raw_of(mem);
  ASSERT_TRUE(mem->data().IsInt64()) << raw_of(mem);
  EXPECT_GT(mem->data().GetInt64(), 0) << raw_of(mem);

  auto stop = s.request("STOP", jp(j.name), 15000);
  ASSERT_TRUE(ok(stop)) << raw_of(stop);
  EXPECT_FALSE(process_alive(pid)) << "STOP answered while the job's process still runs";
  EXPECT_EQ(status_of(s, j.name), "DOWN");
  std::string text = read_of(s, j.name);
  EXPECT_NE(text.find("] Process \"basic\" killed by signal SIGTERM."), std::string::npos) << text;
  EXPECT_NE(text.find("] third line"), std::string::npos) << "the output is gone after the exit: " << text;
  auto mem_down = s.request("MEM", jp(j.name));
  EXPECT_EQ(code_of(mem_down), "FAILED") << "MEM of a stopped job: " << raw_of(mem_down);
  auto stop_again = s.request("STOP", jp(j.name));
  EXPECT_EQ(code_of(stop_again), "FAILED") << "STOP of a stopped job: " << raw_of(stop_again);

  // START again: a new process, a fresh buffer.
  pid_t pid2 = start_job(s, j);
  ASSERT_GT(pid2, 0);
  EXPECT_NE(pid2, pid);
  EXPECT_EQ(status_of(s, j.name), "UP");
  EXPECT_TRUE(wait_until([&] { return (texts = read_texts(s, j.name)) == want; }, 2000))
      << "READ after the second START: " << joined(texts);

  // RESTART: a new pid, the old process gone.
  unlink(j.pidfile.c_str());
  auto restart = s.request("RESTART", jp(j.name), 15000);
  ASSERT_TRUE(ok(restart)) << raw_of(restart);
  pid_t pid3 = 0;
  ASSERT_TRUE(wait_until([&] { return (pid3 = read_pidfile(j.pidfile)) > 0; }, 3000)) << "no pid after RESTART";
  EXPECT_NE(pid3, pid2) << "RESTART kept the same process";
  EXPECT_FALSE(process_alive(pid2)) << "the old process survived RESTART";
  EXPECT_TRUE(process_alive(pid3));
  EXPECT_EQ(status_of(s, j.name), "UP");
  EXPECT_EQ(shm_job_pid(s, j.name), pid3);

  ASSERT_TRUE(ok(s.request("STOP", jp(j.name), 15000)));
  EXPECT_FALSE(process_alive(pid3));
  EXPECT_EQ(status_of(s, j.name), "DOWN");
}

TEST_F(JobsTest, ExitCodeLineAfterAJobEndsByItself) {
  auto j = write_script(s, "quick", "echo done here\nexit 3\n");
  ASSERT_TRUE(add_job(s, j));
  ASSERT_TRUE(ok(s.request("START", jp(j.name))));
  std::vector<std::string> texts;
  EXPECT_TRUE(wait_until(
      [&] {
        texts = read_texts(s, j.name);
        return texts == std::vector<std::string>{"done here", "Process \"quick\" exit with code 3."};
      },
      3000))
      << "READ: " << joined(texts);
  EXPECT_EQ(status_of(s, j.name), "DOWN");
}

// ---- extensions: STATUS/STATUSALL "detail", READ "since" ------------------------

TEST_F(JobsTest, StatusDetailGivesPidUptimeRestartsLastExitAndMemory) {
  auto j = write_script(s, "detailed", kIdle);
  ASSERT_TRUE(add_job(s, j));
  auto down = s.request("STATUS", R"({"jobname":"detailed","detail":true})");
  ASSERT_TRUE(ok(down)) << raw_of(down);
  EXPECT_EQ(raw_of(down), R"({"code":"OK","data":{"state":"DOWN","pid":null,"started":null,"uptime":null,)"
                          R"("restarts":0,"last_exit":null,"mem":null,"reason":null,"cpu":null,"backoff":0,"cluster":false,"history":[]}})");

  time_t before = time(nullptr);
  pid_t pid = start_job(s, j);
  ASSERT_GT(pid, 0);
  auto up = s.request("STATUS", R"({"jobname":"detailed","detail":"1"})");
  ASSERT_TRUE(ok(up)) << raw_of(up);
  const auto& d = up->data();
  ASSERT_TRUE(d.IsObject()) << raw_of(up);
  EXPECT_STREQ(d["state"].GetString(), "UP");
  EXPECT_EQ(d["pid"].GetInt(), pid);
  EXPECT_GE(d["started"].GetInt64(), before);
  EXPECT_LE(d["uptime"].GetInt64(), 5);
  EXPECT_GT(d["mem"].GetInt64(), 0) << raw_of(up);

  auto all = s.request("STATUSALL", R"({"detail":true})");
  ASSERT_TRUE(ok(all)) << raw_of(all);
  EXPECT_EQ(all->data()["detailed"]["pid"].GetInt(), pid) << raw_of(all);
  auto plain = s.request("STATUSALL");
  EXPECT_EQ(raw_of(plain), R"({"code":"OK","data":{"detailed":"UP"}})") << "old clients see the old shape";

  ASSERT_TRUE(ok(s.request("STOP", jp(j.name), 15000)));
  auto stopped = s.request("STATUS", R"({"jobname":"detailed","detail":true})");
  const auto& e = stopped->data()["last_exit"];
  ASSERT_TRUE(e.IsObject()) << raw_of(stopped);
  EXPECT_TRUE(e["code"].IsNull());
  EXPECT_STREQ(e["signal"].GetString(), "SIGTERM");
  EXPECT_GE(e["at"].GetInt64(), before);
  // The run is in the job's history: why it began, how it ended, and what
  // it printed last (not the exit line, which comes after).
  EXPECT_STREQ(stopped->data()["reason"].GetString(), "manual") << raw_of(stopped);
  const auto& history = stopped->data()["history"];
  ASSERT_TRUE(history.IsArray() && history.Size() == 1) << raw_of(stopped);
  const auto& run = history[0];
  EXPECT_STREQ(run["reason"].GetString(), "manual");
  EXPECT_GE(run["started"].GetInt64(), before);
  EXPECT_GE(run["exited"].GetInt64(), run["started"].GetInt64());
  EXPECT_TRUE(run["code"].IsNull());
  EXPECT_STREQ(run["signal"].GetString(), "SIGTERM");
  ASSERT_TRUE(run["output"].IsArray());
  for (const auto& line : run["output"].GetArray())
    EXPECT_EQ(std::string(line.GetString()).find("Process \""), std::string::npos) << raw_of(stopped);

  auto bad = s.request("STATUS", R"({"jobname":"detailed","detail":"yes"})");
  EXPECT_EQ(code_of(bad), "FAILED") << raw_of(bad);
  EXPECT_NE(raw_of(bad).find("detail"), std::string::npos) << raw_of(bad);
}

TEST_F(JobsTest, ReadSinceGivesEachLineOnceAndTheNextNumber) {
  auto j = write_script(s, "follow", "echo one\necho two\nread x < '" + s.dir + "/go'\necho three\n" + kIdle);
  mkfifo((s.dir + "/go").c_str(), 0600);
  ASSERT_TRUE(add_job(s, j));
  ASSERT_GT(start_job(s, j), 0);
  std::string raw;
  ASSERT_TRUE(wait_until(
      [&] {
        raw = raw_of(s.request("READ", R"({"jobname":"follow","since":0})"));
        return raw.find("two") != std::string::npos;
      },
      3000))
      << raw;
  auto first = s.request("READ", R"({"jobname":"follow","since":0})");
  ASSERT_TRUE(ok(first)) << raw_of(first);
  ASSERT_EQ(first->data()["lines"].Size(), 2u) << raw_of(first);
  EXPECT_EQ(unprefixed(first->data()["lines"][1].GetString()), "two");
  EXPECT_EQ(first->data()["next"].GetUint64(), 2u);

  auto none = s.request("READ", R"({"jobname":"follow","since":2})");
  EXPECT_EQ(raw_of(none), R"({"code":"OK","data":{"lines":[],"next":2}})");

  write_file(s.dir + "/go", "\n");
  std::string seen;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = s.request("READ", R"({"jobname":"follow","since":"2"})");
        seen = raw_of(r);
        return ok(r) && r->data()["lines"].Size() == 1;
      },
      3000))
      << seen;
  EXPECT_NE(seen.find("] three\""), std::string::npos) << seen;
  EXPECT_NE(seen.find("\"next\":3"), std::string::npos) << seen;

  auto bad = s.request("READ", R"({"jobname":"follow","since":-1})");
  EXPECT_EQ(code_of(bad), "FAILED") << raw_of(bad);
  EXPECT_EQ(read_texts(s, j.name), (std::vector<std::string>{"one", "two", "three"})) << "READ keeps its old shape";
}

// START and STOP over and over, several jobs interleaved: every command
// answers OK and the supervisor never dies doing it (a run's output pipes
// close before or after its exit is seen, in any order).
TEST_F(JobsTest, StartStopCyclesKeepTheSupervisorAlive) {
  constexpr int kJobs = 8, kCycles = 30;
  std::vector<JobScript> jobs;
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(write_script(s, "cycle" + std::to_string(i), "echo up\n" + std::string(kIdle)));
    ASSERT_TRUE(add_job(s, jobs.back()));
  }
  pid_t sup = s.supervisor_pid();
  ASSERT_GT(sup, 0);
  int failures = 0;
  for (int c = 0; c < kCycles && failures < 5; ++c) {
    for (const auto& j : jobs) {
      auto r = s.request("START", jp(j.name), 5000);
      if (!ok(r)) ++failures, ADD_FAILURE() << "cycle " << c << ", START " << j.name << ": " << raw_of(r);
    }
    for (const auto& j : jobs) {
      auto r = s.request("STOP", jp(j.name), 15000);
      if (!ok(r)) ++failures, ADD_FAILURE() << "cycle " << c << ", STOP " << j.name << ": " << raw_of(r);
    }
  }
  EXPECT_EQ(s.supervisor_pid(), sup) << "the supervisor died during START/STOP cycles:\n" << s.log_text();
}

// ---- 2. stdout and stderr: READ and the log files -----------------------------

TEST_F(JobsTest, StdoutAndStderrGoToReadAndToTheirLogFiles) {
  auto j = write_script(s, "both",
                        "echo out one\necho err one >&2\necho out two\necho err two >&2\n" + std::string(kIdle));
  ASSERT_TRUE(add_job(s, j, R"(,"writelog":true)"));
  time_t t0 = time(nullptr);
  ASSERT_GT(start_job(s, j), 0);
  std::vector<std::string> texts;
  EXPECT_TRUE(wait_until(
      [&] {
        texts = read_texts(s, j.name);
        std::sort(texts.begin(), texts.end());  // stdout and stderr are two pipes: no order between them
        return texts == std::vector<std::string>{"err one", "err two", "out one", "out two"};
      },
      2000))
      << "READ: " << joined(texts);

  // DATA_DIR/log/jobs/NAME/YYYYMMDD/YYYYMMDDHH.log and .error.log.
  std::string log, err;
  bool written = wait_until(
      [&] {
        log = job_log_text(s, j.name, false);
        err = job_log_text(s, j.name, true);
        return log.find("out two") != std::string::npos && err.find("err two") != std::string::npos;
      },
      3000, 20);
  std::string listing;
  for (const auto& f : job_log_files(s, j.name)) listing += "\n  " + f;
  EXPECT_TRUE(written) << "log files:" << listing << "\n.log: " << log << "\n.error.log: " << err;
  std::vector<std::string> out_lines, err_lines;
  for (const auto& l : split_lines(log)) out_lines.push_back(unprefixed(l).value_or("NO PREFIX: " + l));
  for (const auto& l : split_lines(err)) err_lines.push_back(unprefixed(l).value_or("NO PREFIX: " + l));
  EXPECT_EQ(out_lines, (std::vector<std::string>{"out one", "out two"})) << log;
  EXPECT_EQ(err_lines, (std::vector<std::string>{"err one", "err two"})) << err;

  bool named_right = false;
  for (time_t t : {t0, time(nullptr)}) {
    std::string hour = utc_hour(t);
    std::string base = s.data_dir + "/log/jobs/both/" + hour.substr(0, 8) + "/" + hour;
    if (file_exists(base + ".log") && file_exists(base + ".error.log")) named_right = true;
  }
  EXPECT_TRUE(named_right) << "no log/jobs/both/YYYYMMDD/YYYYMMDDHH{.log,.error.log} for this hour; files:" << listing;
  ASSERT_TRUE(ok(s.request("STOP", jp(j.name), 15000)));
}

TEST_F(JobsTest, NoLogFilesWithoutWritelog) {
  auto j = write_script(s, "quiet", "echo out\necho err >&2\nexit 0\n");
  ASSERT_TRUE(add_job(s, j));
  ASSERT_TRUE(ok(s.request("START", jp(j.name))));
  ASSERT_TRUE(wait_until([&] { return read_of(s, j.name).find("exit with code 0") != std::string::npos; }, 3000));
  usleep(100 * 1000);  // longer than the log writer's batching
  EXPECT_TRUE(job_log_files(s, j.name).empty()) << "log files written although writelog is off";
}

// ---- 3. buffersize ------------------------------------------------------------

TEST_F(JobsTest, BuffersizeChangedByUpdateAppliesToRead) {
  auto j = write_script(s, "thirty", "i=1\nwhile [ $i -le 30 ]; do echo line $i; i=$((i+1)); done\n" + std::string(kIdle));
  ASSERT_TRUE(add_job(s, j, R"(,"buffersize":5)"));
  ASSERT_GT(start_job(s, j), 0);
  auto last_n = [](int n) {
    std::vector<std::string> v;
    for (int i = 31 - n; i <= 30; ++i) v.push_back("line " + std::to_string(i));
    return v;
  };
  std::vector<std::string> texts;
  EXPECT_TRUE(wait_until([&] { return (texts = read_texts(s, j.name)) == last_n(5); }, 3000))
      << "buffersize 5, READ: " << joined(texts);
  ASSERT_TRUE(ok(s.request("UPDATE", R"({"jobname":"thirty","buffersize":10})")));
  EXPECT_TRUE(wait_until([&] { return (texts = read_texts(s, j.name)) == last_n(10); }, 2000))
      << "buffersize 10, READ: " << joined(texts);
  ASSERT_TRUE(ok(s.request("UPDATE", R"({"jobname":"thirty","buffersize":"3"})")));
  EXPECT_TRUE(wait_until([&] { return (texts = read_texts(s, j.name)) == last_n(3); }, 2000))
      << "buffersize 3, READ: " << joined(texts);
  ASSERT_TRUE(ok(s.request("STOP", jp(j.name), 15000)));
}

// ---- 4. a program that cannot run -------------------------------------------

TEST_F(JobsTest, ProgramThatCannotExecIsFailedAndStaysDown) {
  // Not executable, no extension with an interpreter.
  std::string plain = s.dir + "/plain.data";
  write_file(plain, "echo never\n");
  chmod(plain.c_str(), 0644);
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"plain","command":")" + plain + R"("})")));
  // Executable but no format the kernel can run (no #! line): execve fails.
  std::string garbage = s.dir + "/garbage";
  write_file(garbage, std::string("\x01\x02\x03 not a program\n", 19));
  chmod(garbage.c_str(), 0755);
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"garbage","command":")" + garbage + R"("})")));

  for (const char* name : {"plain", "garbage"}) {
    SCOPED_TRACE(name);
    auto r = s.request("START", jp(name));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code(), "FAILED") << r->raw;
    EXPECT_FALSE(r->error().empty()) << "FAILED without an error sentence: " << r->raw;
    EXPECT_EQ(status_of(s, name), "DOWN");
  }
  usleep(200 * 1000);
  for (const char* name : {"plain", "garbage"}) {
    EXPECT_EQ(status_of(s, name), "DOWN") << name << " is not DOWN a while after the failed START";
    EXPECT_EQ(shm_job_pid(s, name), 0) << name << " has a pid in the job table";
  }
  EXPECT_TRUE(s.master_alive());
}

// ---- 5. supervisor killed while 20 chatty jobs run --------------------------

// The last number READ shows for a job printing numbers; -1 when none.
long last_number_read(const Server& s, const std::string& job) {
  long last = -1;
  for (const auto& t : read_texts(s, job))
    if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) last = std::stol(t);
  return last;
}

TEST_F(JobsTest, SupervisorKilledWhileJobsPrintLosesNoLineAndKeepsTheJobs) {
  constexpr int kJobs = 20;
  // One line per write(2), one every millisecond, numbered from 1.
  const std::string body = number_printer_body(1000, 1, 0);
  std::vector<JobScript> jobs;
  for (int i = 0; i < kJobs; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "p%02d", i);
    jobs.push_back(write_script(s, name, body));
    ASSERT_TRUE(add_job(s, jobs.back(), R"(,"writelog":true)"));
  }
  std::vector<pid_t> pids;
  for (const auto& j : jobs) {
    pids.push_back(start_job(s, j));
    ASSERT_GT(pids.back(), 0);
  }
  // Every job prints before the kill.
  for (const auto& j : jobs)
    ASSERT_TRUE(wait_until([&] { return last_number_read(s, j.name) > 0; }, 3000)) << j.name << " prints nothing";
  usleep(1000 * 1000);

  pid_t sup = shm_supervisor_pid(s);
  ASSERT_GT(sup, 0);
  ASSERT_EQ(sup, s.supervisor_pid()) << "backend-shm and /proc disagree about the supervisor";
  std::map<std::string, long> before_kill;
  for (const auto& j : jobs) before_kill[j.name] = last_number_read(s, j.name);
  ASSERT_EQ(kill(sup, SIGKILL), 0);
  pid_t next = 0;
  ASSERT_TRUE(wait_until([&] { next = shm_supervisor_pid(s); return next > 0 && next != sup; }, 3000, 5))
      << "no new supervisor in backend-shm --json";
  EXPECT_FALSE(process_alive(sup));
  usleep(1000 * 1000);

  // Still the same processes, still running, still read.
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto& j = jobs[i];
    SCOPED_TRACE(j.name);
    EXPECT_EQ(status_of(s, j.name), "UP");
    EXPECT_EQ(read_pidfile(j.pidfile), pids[i]) << "the job was started again";
    EXPECT_TRUE(process_alive(pids[i]));
    EXPECT_EQ(shm_job_pid(s, j.name), pids[i]);
    long now_read = last_number_read(s, j.name);
    EXPECT_GT(now_read, before_kill[j.name] + 300)
        << "the new supervisor does not read the job's output (last number before the kill "
        << before_kill[j.name] << ", now " << now_read << ")";
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto& j = jobs[i];
    SCOPED_TRACE(j.name);
    auto r = s.request("STOP", jp(j.name), 15000);
    EXPECT_TRUE(ok(r)) << raw_of(r);
    EXPECT_FALSE(process_alive(pids[i])) << "STOP answered while the job still runs";
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_TRUE(wait_until([&] { return reaped(pids[i]); }, 2000)) << jobs[i].name << " left a zombie";
    EXPECT_EQ(status_of(s, jobs[i].name), "DOWN");
  }

  // The logs: once the exit line is in a job's .log, all its output is too.
  std::cout << "[ numbers  ] job: first..last, lines, gaps (first missing range), duplicates, out of order\n";
  int failing = 0;
  for (const auto& j : jobs) {
    SCOPED_TRACE(j.name);
    std::string exit_line = "Process \"" + j.name + "\" killed by signal SIGTERM.";
    std::string log;
    EXPECT_TRUE(wait_until([&] { return (log = job_log_text(s, j.name, false)).find(exit_line) != std::string::npos; },
                           3000, 20))
        << "no exit line in the .log";
    NumberStats st = number_stats(log, j.name);
    std::cout << "[ numbers  ] " << j.name << ": " << st.first << ".." << st.last << ", " << st.count << " lines, "
              << st.gaps << " gaps" << (st.first_gap.empty() ? "" : " (" + st.first_gap + ")") << ", "
              << st.duplicates << " duplicates, " << st.out_of_order << " out of order; READ showed "
              << before_kill[j.name] << " just before the kill\n";
    EXPECT_EQ(st.first, 1) << "the log does not start with the first line";
    EXPECT_GT(st.last, before_kill[j.name]) << "the log ends before the kill";
    EXPECT_EQ(st.gaps, 0) << "lines missing from the log, first " << st.first_gap;
    EXPECT_EQ(st.duplicates, 0) << "lines written twice to the log";
    EXPECT_EQ(st.out_of_order, 0);
    if (st.gaps || st.duplicates || st.out_of_order) ++failing;
    // The same count in the job's output ring (all of it, as backend-shm
    // prints it): tells whether a loss is the log files' alone.
    auto ring = run_command({shm_bin(), "--shm-name", s.shm_name, "--ring", j.name}, 5000);
    NumberStats rs = number_stats(ring.out, j.name);
    std::cout << "[ numbers  ] " << j.name << " ring: " << rs.first << ".." << rs.last << ", " << rs.count
              << " lines, " << rs.gaps << " gaps" << (rs.first_gap.empty() ? "" : " (" + rs.first_gap + ")")
              << ", " << rs.duplicates << " duplicates\n";
    if (rs.first == 1) {  // else the ring has dropped its oldest lines: no count to make
      EXPECT_EQ(rs.gaps, 0) << "lines missing from the output ring, first " << rs.first_gap;
      EXPECT_EQ(rs.duplicates, 0) << "lines twice in the output ring";
    }
    std::string errors = job_log_text(s, j.name, true);
    EXPECT_TRUE(errors.empty()) << "stderr of " << j.name << ": " << errors.substr(0, 500);
  }
  std::cout << "[ numbers  ] " << failing << " of " << kJobs << " jobs with gaps, duplicates or disorder\n";
}

// ---- 6. a job killed while the supervisor is dead --------------------------------

// The job table's last exit of `job` as "code N" / "signal N" / "none";
// "?" when backend-shm does not answer.
std::string shm_last_exit(const Server& s, const std::string& job) {
  auto doc = shm_state(s);
  if (!doc || !doc->HasMember("jobs") || !(*doc)["jobs"].IsArray()) return "?";
  for (const auto& j : (*doc)["jobs"].GetArray()) {
    if (!j.HasMember("name") || !j["name"].IsString() || job != j["name"].GetString()) continue;
    const auto& e = j["last_exit"];
    if (!e.IsObject()) return "none";
    if (e["signal"].IsInt()) return "signal " + std::to_string(e["signal"].GetInt());
    if (e["code"].IsInt()) return "code " + std::to_string(e["code"].GetInt());
    return "?";
  }
  return "?";
}

// Several jobs at once, so that the outcome does not hang on how one kill
// happens to fall between the master's reaping and the new supervisor's
// taking over.
// A job printing about 2 MB/s: its output stage starts over every MiB, so
// the kills land before, during and after such rewinds; the log still
// holds every line once.
TEST_F(JobsTest, SupervisorKilledTwiceWhileAJobPrintsFastLosesNoLine) {
  // 45 lines of 91 bytes (digits only: zero-padded numbers) every 2.5 ms,
  // in one write of 4,095 bytes: at most PIPE_BUF, so that STOP's SIGTERM
  // never leaves half a write (and half a line) behind.
  const std::string body = number_printer_body(2500, 45, 90);
  auto j = write_script(s, "fast", body);
  ASSERT_TRUE(add_job(s, j, R"(,"writelog":true)"));
  pid_t pid = start_job(s, j);
  ASSERT_GT(pid, 0);
  // Each kill after at least 1.2 MB more output (13,000 lines), however
  // slowly a loaded machine lets the job print.
  long target = 0;
  for (int kill_round = 0; kill_round < 2; ++kill_round) {
    target += 13000;
    ASSERT_TRUE(wait_until([&] { return last_number_read(s, j.name) >= target; }, 20000, 20))
        << "the job printed too slowly: " << last_number_read(s, j.name);
    pid_t sup = s.supervisor_pid();
    ASSERT_GT(sup, 0);
    ASSERT_EQ(kill(sup, SIGKILL), 0);
    ASSERT_TRUE(wait_until([&] { pid_t n = s.supervisor_pid(); return n > 0 && n != sup; }, 3000, 5));
  }
  target += 13000;
  ASSERT_TRUE(wait_until([&] { return last_number_read(s, j.name) >= target; }, 20000, 20));
  ASSERT_TRUE(ok(s.request("STOP", jp(j.name), 15000)));
  EXPECT_FALSE(process_alive(pid));

  std::string log;
  ASSERT_TRUE(wait_until(
      [&] { return (log = job_log_text(s, j.name, false)).find("Process \"fast\" killed") != std::string::npos; },
      5000, 20))
      << "no exit line in the .log";
  NumberStats st = number_stats(log, j.name);
  std::cout << "[ numbers  ] fast: " << st.first << ".." << st.last << ", " << st.count << " lines, " << st.gaps
            << " gaps" << (st.first_gap.empty() ? "" : " (" + st.first_gap + ")") << ", " << st.duplicates
            << " duplicates\n";
  EXPECT_EQ(st.first, 1);
  EXPECT_GT(st.count * 91, 3L << 20) << "too little output for the stage to start over a few times";
  int shown = 0;
  for (const auto& line : split_lines(log)) {
    auto text = unprefixed(line);
    if (text && text->size() != 90 && text->rfind("Process ", 0) != 0 && shown++ < 5)
      ADD_FAILURE() << "a line cut or joined: \"" << *text << "\"";
  }
  EXPECT_EQ(st.gaps, 0) << "lines missing from the log, first " << st.first_gap;
  EXPECT_EQ(st.duplicates, 0);
  EXPECT_EQ(st.out_of_order, 0);
}

TEST_F(JobsTest, JobKilledRightAfterTheSupervisorIsRecordedAsKilled) {
  constexpr int kJobs = 16;
  std::vector<JobScript> jobs;
  std::vector<pid_t> pids;
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(write_script(s, "victim" + std::to_string(i), "echo before\n" + std::string(kIdle)));
    ASSERT_TRUE(add_job(s, jobs.back()));
    pids.push_back(start_job(s, jobs.back()));
    ASSERT_GT(pids.back(), 0);
  }
  for (const auto& j : jobs)
    ASSERT_TRUE(wait_until([&] { return read_of(s, j.name).find("] before") != std::string::npos; }, 2000));
  pid_t sup = s.supervisor_pid();
  ASSERT_GT(sup, 0);
  ASSERT_EQ(kill(sup, SIGKILL), 0);
  for (pid_t pid : pids) ASSERT_EQ(kill(pid, SIGKILL), 0);
  auto exit_line = [](const std::string& job) { return "Process \"" + job + "\" killed by signal SIGKILL."; };
  // All within 2 s from the kills.
  wait_until(
      [&] {
        for (const auto& j : jobs)
          if (status_of(s, j.name, 1000) != "DOWN" || read_of(s, j.name, 1000).find(exit_line(j.name)) == std::string::npos)
            return false;
        return true;
      },
      2000, 10);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto& j = jobs[i];
    SCOPED_TRACE(j.name);
    std::string status = status_of(s, j.name, 1000), text = read_of(s, j.name, 1000);
    EXPECT_TRUE(status == "DOWN" && text.find(exit_line(j.name)) != std::string::npos)
        << "2 s after the kill: STATUS " << status << ", READ: " << text;
    EXPECT_NE(text.find("] before"), std::string::npos) << "the output before the kill is gone: " << text;
    EXPECT_EQ(split_lines(text).size(), 2u) << "expected the line and one exit line: " << text;
    EXPECT_EQ(shm_last_exit(s, j.name), "signal " + std::to_string(SIGKILL)) << "last exit in the job table";
    EXPECT_TRUE(wait_until([&] { return reaped(pids[i]); }, 2000)) << "the killed job was never reaped";
  }
  // The server goes on: the jobs start again.
  EXPECT_TRUE(wait_until([&] { pid_t p = s.supervisor_pid(); return p != 0 && p != sup; }, 3000));
  for (const auto& j : jobs) {
    SCOPED_TRACE(j.name);
    pid_t again = start_job(s, j);
    EXPECT_GT(again, 0);
    EXPECT_EQ(status_of(s, j.name), "UP");
    EXPECT_TRUE(ok(s.request("STOP", jp(j.name), 15000)));
  }
  if (HasFailure()) std::cout << "server log:\n" << s.log_text();
}

// ---- 7. queries while the supervisor is stopped ------------------------------

TEST_F(JobsTest, ListenerAnswersStatusAndReadWhileTheSupervisorIsStopped) {
  auto j = write_script(s, "steady", "echo still here\n" + std::string(kIdle));
  ASSERT_TRUE(add_job(s, j));
  pid_t pid = start_job(s, j);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return read_of(s, j.name).find("] still here") != std::string::npos; }, 2000));
  pid_t sup = s.supervisor_pid();
  ASSERT_GT(sup, 0);
  ASSERT_EQ(kill(sup, SIGSTOP), 0);
  struct Cont {
    pid_t pid;
    ~Cont() { kill(pid, SIGCONT); }
  } cont{sup};
  int64_t t0 = now_ms();
  auto st = s.request("STATUS", jp(j.name), 2000);
  int64_t status_ms = now_ms() - t0;
  ASSERT_TRUE(st) << "no STATUS answer while the supervisor is stopped";
  EXPECT_TRUE(st->ok()) << st->raw;
  EXPECT_EQ(st->data_json(), "\"UP\"");
  t0 = now_ms();
  auto rd = s.request("READ", jp(j.name), 2000);
  int64_t read_ms = now_ms() - t0;
  ASSERT_TRUE(rd) << "no READ answer while the supervisor is stopped";
  EXPECT_TRUE(rd->ok()) << rd->raw;
  EXPECT_NE(rd->data_json().find("] still here"), std::string::npos) << rd->raw;
  auto all = s.request("STATUSALL", {}, 2000);
  EXPECT_TRUE(ok(all)) << raw_of(all);
  EXPECT_LT(status_ms, 500);
  EXPECT_LT(read_ms, 500);
  EXPECT_EQ(s.supervisor_pid(), sup) << "the stopped supervisor was replaced";
  kill(sup, SIGCONT);
  // And once it goes on, commands that need it work again.
  auto stop = s.request("STOP", jp(j.name), 15000);
  EXPECT_TRUE(ok(stop)) << raw_of(stop);
  EXPECT_FALSE(process_alive(pid));
}

// ---- 8. SIGTERM of the server -------------------------------------------------------

TEST_F(JobsTest, SigtermOfTheServerStopsRunningJobsAndExitsZero) {
  auto a = write_script(s, "ta", "echo a\n" + std::string(kIdle));
  // A job with a child of its own in its process group: a shell that
  // writes its pid, then idles with the temp folder in its command line.
  auto b = write_script(s, "tb",
                        "/bin/sh -c 'echo $$ > \"$1\"; " + std::string(kIdle) + "' tb-child '" + s.dir +
                            "/tb-child.pid' &\n" + std::string(kIdle));
  auto stopped = write_script(s, "tc", "echo c\nexit 0\n");
  for (const auto* j : {&a, &b, &stopped}) ASSERT_TRUE(add_job(s, *j));
  pid_t pa = start_job(s, a), pb = start_job(s, b);
  ASSERT_GT(pa, 0);
  ASSERT_GT(pb, 0);
  pid_t child = 0;
  ASSERT_TRUE(wait_until([&] { return (child = read_pidfile(s.dir + "/tb-child.pid")) > 0; }, 3000));
  ASSERT_TRUE(ok(s.request("START", jp("tc"))));
  ASSERT_TRUE(wait_until([&] { return status_of(s, "tc") == "DOWN" && read_of(s, "tc").find("exit with code") != std::string::npos; }, 3000));

  int status = -1;
  ASSERT_TRUE(s.stop(8000, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the master's wait status: " << status;
  for (pid_t p : {pa, pb, child})
    EXPECT_TRUE(wait_until([&] { return !process_alive(p); }, 1000)) << "job process " << p << " outlived the server";
  EXPECT_FALSE(shm_exists(s.shm_name));
}

}  // namespace
}  // namespace itest

namespace itest {
namespace {

// A STOP still waiting for its job when the server is told to stop gets its
// answer before the listener closes the connection.
TEST_F(JobsTest, AStopInFlightIsAnsweredWhileTheServerStops) {
  auto j = write_script(s, "stubborn", "trap '' TERM\n" + std::string(kIdle));
  ASSERT_TRUE(add_job(s, j, R"(,"stoptimeout":1)"));
  ASSERT_GT(start_job(s, j), 0);
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  ASSERT_TRUE(c.send_frame(request_payload("STOP", jp("stubborn"))));
  usleep(200 * 1000);  // the STOP waits out its stoptimeout in the supervisor
  ASSERT_EQ(kill(s.master_pid(), SIGTERM), 0);
  std::string payload;
  ASSERT_EQ(c.read_frame(payload, 5000), WireClient::Status::kOk) << "the STOP in flight got no answer";
  EXPECT_NE(payload.find("\"OK\""), std::string::npos) << payload;
}

// Ctrl-C in a terminal sends SIGINT to the whole process group: the jobs
// must still be stopped by the supervisor before the server goes.
TEST_F(JobsTest, CtrlCToTheServersProcessGroupStopsTheJobsToo) {
  auto j = write_script(s, "ctrlc", "echo up\n" + std::string(kIdle));
  ASSERT_TRUE(add_job(s, j));
  pid_t job = start_job(s, j);
  ASSERT_GT(job, 0);
  pid_t master = s.master_pid();
  ASSERT_EQ(kill(-getpgid(master), SIGINT), 0);
  EXPECT_TRUE(wait_until([&] { return !process_alive(master); }, 10000)) << "the master did not stop";
  EXPECT_TRUE(wait_until([&] { return !process_alive(job); }, 2000)) << "job " << job << " outlived the server";
}

// ---- 9. the whole server killed outright ------------------------------------

// A job that stays quiet lives on after the server; a chatty one dies of
// its next write into a pipe nobody reads. Both are left in the job table
// of the leftover shared memory.
struct Orphans {
  JobScript quiet, chatty;
  pid_t quiet_pid = 0, chatty_pid = 0;
};

void orphan_two_jobs(Server& s, Orphans& o) {
  o.quiet = write_script(s, "quiet", kIdle);
  o.chatty = write_script(s, "chatty", "while :; do echo tick; sleep 0.05; done\n");
  ASSERT_TRUE(add_job(s, o.quiet));
  ASSERT_TRUE(add_job(s, o.chatty, R"(,"guard":true)"));
  o.quiet_pid = start_job(s, o.quiet);
  o.chatty_pid = start_job(s, o.chatty);
  ASSERT_GT(o.quiet_pid, 0);
  ASSERT_GT(o.chatty_pid, 0);
  kill_whole_server(s);
  ASSERT_TRUE(process_alive(o.quiet_pid));
  ASSERT_TRUE(wait_until([&] { return !process_alive(o.chatty_pid); }, 3000)) << "the chatty job outlived its pipe";
}

TEST_F(JobsTest, JobsOfAServerKilledOutrightAreAdoptedByTheNextStartNeverRunTwice) {
  Orphans o;
  orphan_two_jobs(s, o);
  ASSERT_TRUE(s.start());

  // The quiet job is adopted: up, same process, not started again.
  ASSERT_TRUE(wait_until([&] { return shm_job_pid(s, "quiet") == o.quiet_pid; }, 5000)) << status_of(s, "quiet");
  EXPECT_EQ(status_of(s, "quiet"), "UP");
  EXPECT_EQ(read_pidfile(o.quiet.pidfile), o.quiet_pid) << "a second copy of the quiet job was started";
  auto again = s.request("START", jp("quiet"));
  EXPECT_EQ(code_of(again), "FAILED") << "a START beside the adopted process: " << raw_of(again);
  EXPECT_NE(read_of(s, "quiet").find("its output can no longer be captured"), std::string::npos)
      << "the server does not say that the output is lost: " << read_of(s, "quiet");
  auto mem = s.request("MEM", jp("quiet"));
  EXPECT_TRUE(ok(mem)) << raw_of(mem);

  // The guarded job that died with the server is started again, once.
  pid_t restarted = 0;
  EXPECT_TRUE(wait_until([&] {
    restarted = read_pidfile(o.chatty.pidfile);
    return restarted != o.chatty_pid && process_alive(restarted);
  }, 5000)) << "the guarded job was not started again";
  EXPECT_EQ(status_of(s, "chatty"), "UP");

  // STOP reaches the adopted process, and its exit is seen although the
  // server is not its parent.
  auto stop = s.request("STOP", jp("quiet"), 10000);
  EXPECT_TRUE(ok(stop)) << raw_of(stop);
  EXPECT_TRUE(wait_until([&] { return !process_alive(o.quiet_pid); }, 3000));
  EXPECT_EQ(status_of(s, "quiet"), "DOWN");
}

TEST_F(JobsTest, JobsOfAServerKilledOutrightAreStoppedWhenTheConfigSaysSo) {
  Orphans o;
  orphan_two_jobs(s, o);
  s.set("orphaned_jobs", "\"stop\"");
  ASSERT_TRUE(s.start());
  EXPECT_TRUE(wait_until([&] { return !process_alive(o.quiet_pid); }, 5000)) << "the orphan was not stopped";
  EXPECT_TRUE(wait_until([&] { return status_of(s, "quiet") == "DOWN"; }, 3000)) << status_of(s, "quiet");
  EXPECT_EQ(read_pidfile(o.quiet.pidfile), o.quiet_pid) << "the stopped job was started again";
  EXPECT_TRUE(wait_until([&] { return read_pidfile(o.chatty.pidfile) != o.chatty_pid; }, 5000))
      << "the guarded job that died was not started again";
}

// The master alone dies (a crash, the OOM killer): its workers go, but the
// supervisor takes its parent-death signal for the server killed outright
// that it is, not for an operator's stop: the jobs are left running, and
// the next start adopts them. (With SIGTERM for both, a supervisor whose
// master's main thread died before its other threads saw its parent pid
// unchanged and stopped the job.)
TEST_F(JobsTest, JobsOutliveAMasterThatDiedAloneAndTheNextStartAdoptsThem) {
  auto j = write_script(s, "lasting", kIdle);
  ASSERT_TRUE(add_job(s, j));
  pid_t job = start_job(s, j);
  ASSERT_GT(job, 0);
  pid_t supervisor = s.supervisor_pid(), listener = s.listener_pid();
  ASSERT_GT(supervisor, 0);
  ASSERT_GT(listener, 0);
  ASSERT_EQ(kill(s.master_pid(), SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return !s.master_alive(); }, 3000));
  for (pid_t w : {supervisor, listener})
    EXPECT_TRUE(wait_until([&] { return !process_alive(w); }, 3000)) << "worker " << w << " outlived its master";
  EXPECT_TRUE(process_alive(job)) << "the supervisor stopped the job when its master died";
  EXPECT_NE(s.log_text().find("the master died"), std::string::npos) << s.log_text();

  ASSERT_TRUE(s.start());
  EXPECT_TRUE(wait_until([&] { return shm_job_pid(s, "lasting") == job; }, 5000)) << status_of(s, "lasting");
  EXPECT_EQ(status_of(s, "lasting"), "UP");
  EXPECT_EQ(read_pidfile(j.pidfile), job) << "a second copy of the job was started";
}

}  // namespace
}  // namespace itest
