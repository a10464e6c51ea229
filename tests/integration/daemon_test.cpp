// --daemon, the pidfile and refusing a second instance.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

// A pid that surely belongs to no process now: a child that has exited and
// been reaped.
pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(Daemon, DetachesPromptlyWritesPidfileAndServes) {
  Server s;
  CommandResult r;
  ASSERT_TRUE(s.start_daemon(&r)) << r.describe();
  EXPECT_EQ(r.exit_code(), 0) << r.describe();
  EXPECT_LT(r.elapsed_ms, 2000) << "--daemon must return promptly";
  EXPECT_EQ(r.err, "") << "a successful --daemon prints nothing";

  pid_t master = read_pidfile(s.pidfile);
  ASSERT_GT(master, 0);
  EXPECT_NE(master, r.pid) << "the process we started must have exited, the daemon is its grandchild";
  ASSERT_TRUE(process_alive(master));
  EXPECT_EQ(comm_of(master), "backend-server");
  EXPECT_NE(getsid(master), getsid(0)) << "the daemon must be detached into its own session";
  EXPECT_NE(getpgid(master), getpgid(0));
  EXPECT_NE(s.listener_pid(), 0) << "no backend-listen child of the master";
  EXPECT_NE(s.supervisor_pid(), 0) << "no backend-superv child of the master";

  // The daemon's output goes to the log file, not to a terminal.
  EXPECT_NE(s.log_text().find("started (pid " + std::to_string(master) + ")"), std::string::npos) << s.log_text();

  kill(master, SIGTERM);
  EXPECT_TRUE(wait_until([&] { return !process_alive(master); }, 5000)) << "the daemon did not stop on SIGTERM";
  EXPECT_FALSE(file_exists(s.pidfile));
  EXPECT_FALSE(shm_exists(s.shm_name));
}

// An init script, or systemd with Type=forking and PIDFile=, reads the
// pidfile as soon as the --daemon command returns: it must hold the
// master's pid by then. Repeated, because a daemon that writes it after the
// parent exited loses that race only some of the time.
TEST(Daemon, PidfileHoldsThePidWhenTheCommandReturns) {
  int late = 0;
  std::string seen;
  for (int i = 0; i < 5; ++i) {
    Server s;
    CommandResult r;
    ASSERT_TRUE(s.start_daemon(&r)) << r.describe();
    if (s.pidfile_at_exit() != s.master_pid()) {
      ++late;
      seen += " [" + std::to_string(s.pidfile_at_exit()) + " vs " + std::to_string(s.master_pid()) + "]";
    }
  }
  EXPECT_EQ(late, 0) << "times the pidfile did not hold the master's pid when --daemon returned "
                        "(pid read then vs the master's):" << seen;
}

TEST(Daemon, SecondInstanceOnSameDataDirIsRefused) {
  Server first;
  ASSERT_TRUE(first.start_daemon());
  pid_t master = first.master_pid();
  Server other;  // another port and shm name: only the pidfile can refuse it
  for (bool daemon : {false, true}) {
    std::vector<std::string> args{server_bin(), "-c", first.config_path, "--listen",
                                  "127.0.0.1:" + std::to_string(other.port), "--shm-name", other.shm_name};
    if (daemon) args.push_back("--daemon");
    CommandResult r = run_command(args, 10000);
    SCOPED_TRACE(daemon ? "with --daemon" : "in the foreground");
    EXPECT_NE(r.exit_code(), 0) << r.describe();
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.err.find("pid " + std::to_string(master)), std::string::npos)
        << "stderr should name the running server's pid " << master << ": " << r.err;
    EXPECT_NE(r.err.find(first.pidfile), std::string::npos) << r.err;
    // The first one is untouched.
    EXPECT_EQ(read_pidfile(first.pidfile), master);
    EXPECT_TRUE(process_alive(master));
    EXPECT_TRUE(shm_exists(first.shm_name));
    EXPECT_FALSE(shm_exists(other.shm_name)) << "the refused instance left its shared memory";
    EXPECT_FALSE(port_accepts(other.port)) << "the refused instance is listening";
    EXPECT_TRUE(first.wait_ready(2000));
  }
}

TEST(Daemon, SecondInstanceOnSamePortIsRefused) {
  Server first;
  ASSERT_TRUE(first.start_daemon());
  pid_t master = first.master_pid();
  Server other;  // its own data dir and shm name, the first one's port
  other.set("listen", "\"127.0.0.1:" + std::to_string(first.port) + "\"");
  other.write_config();
  for (bool daemon : {false, true}) {
    std::vector<std::string> args{server_bin(), "-c", other.config_path};
    if (daemon) args.push_back("--daemon");
    CommandResult r = run_command(args, 10000);
    SCOPED_TRACE(daemon ? "with --daemon" : "in the foreground");
    EXPECT_NE(r.exit_code(), 0) << r.describe();
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.err.find(std::to_string(first.port)), std::string::npos)
        << "stderr should name the busy address: " << r.err;
    EXPECT_FALSE(shm_exists(other.shm_name)) << "the refused instance left its shared memory";
    EXPECT_EQ(read_pidfile(other.pidfile), 0) << "the refused instance left its pid in its pidfile";
    EXPECT_TRUE(process_alive(master));
    EXPECT_TRUE(shm_exists(first.shm_name));
    EXPECT_TRUE(first.wait_ready(2000)) << "the first server stopped answering";
  }
}

TEST(Daemon, StalePidfileIsTakenOver) {
  Server s;
  ASSERT_EQ(mkdir(s.data_dir.c_str(), 0755), 0);
  pid_t dead = dead_pid();
  ASSERT_FALSE(process_alive(dead));
  write_file(s.pidfile, std::to_string(dead) + "\n");
  CommandResult r;
  ASSERT_TRUE(s.start_daemon(&r)) << r.describe();
  pid_t master = read_pidfile(s.pidfile);
  EXPECT_NE(master, dead);
  EXPECT_EQ(master, s.master_pid());
  EXPECT_TRUE(process_alive(master));
  EXPECT_EQ(comm_of(master), "backend-server");
}

TEST(Daemon, PidfileOfALiveUnrelatedProcessIsTakenOver) {
  // The lock decides, not the pid: a pid that was reused by another process
  // (here: this test) must not keep the server from starting.
  Server s;
  ASSERT_EQ(mkdir(s.data_dir.c_str(), 0755), 0);
  write_file(s.pidfile, std::to_string(getpid()) + "\n");
  ASSERT_TRUE(s.start_daemon());
  EXPECT_EQ(read_pidfile(s.pidfile), s.master_pid());
  EXPECT_NE(s.master_pid(), getpid());
}

TEST(Daemon, SecondInstanceOnSameShmNameIsRefused) {
  Server first;
  ASSERT_TRUE(first.start_daemon());
  ASSERT_TRUE(ok(first.request("ADD", R"({"jobname":"mine","command":"/bin/true"})")));
  Server other;  // its own data dir and port, the first one's segment
  other.set("shm_name", "\"" + first.shm_name + "\"");
  other.write_config();
  CommandResult r = run_command({server_bin(), "-c", other.config_path, "--daemon"}, 10000);
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.err.find(std::to_string(first.master_pid())), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(first.shm_name), std::string::npos) << r.err;
  EXPECT_FALSE(port_accepts(other.port));
  ASSERT_TRUE(shm_exists(first.shm_name)) << "the refused instance removed the running server's segment";
  auto get = first.request("GET", R"({"jobname":"mine"})");
  ASSERT_TRUE(get);
  EXPECT_TRUE(get->ok()) << get->raw;
  // backend-shm still reads the first server's segment.
  CommandResult shm = run_command({shm_bin(), "--shm-name", first.shm_name, "--json"});
  EXPECT_EQ(shm.exit_code(), 0) << shm.describe();
  EXPECT_NE(shm.out.find("\"master_pid\":" + std::to_string(first.master_pid())), std::string::npos) << shm.out;
}

TEST(Daemon, UnreadableJobsFileStopsTheStartWithAReason) {
  Server s;
  ASSERT_EQ(mkdir(s.data_dir.c_str(), 0755), 0);
  write_file(s.jobs_file, "{\"a\": {\"command\": \"/bin/true\"");
  s.write_config();
  CommandResult r = run_command({server_bin(), "-c", s.config_path, "--daemon"}, 10000);
  EXPECT_NE(r.exit_code(), 0) << r.describe();
  EXPECT_NE(r.err.find("jobs.json"), std::string::npos) << r.err;
  EXPECT_FALSE(shm_exists(s.shm_name));
  EXPECT_FALSE(port_accepts(s.port));
  EXPECT_EQ(read_file(s.jobs_file).value_or(""), "{\"a\": {\"command\": \"/bin/true\"")
      << "the broken settings file must be left as it was";
}

TEST(Daemon, StaleSharedMemoryIsReplaced) {
  // A segment left by a server that was killed -9: no live master in it.
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"left","command":"/bin/true"})")));
  s.kill_all();
  ASSERT_TRUE(shm_exists(s.shm_name)) << "a killed server cannot remove its segment";
  ASSERT_TRUE(s.start()) << "a stale segment must not stop the next start";
  EXPECT_TRUE(s.wait_for_job("left"));
}

}  // namespace
}  // namespace itest
