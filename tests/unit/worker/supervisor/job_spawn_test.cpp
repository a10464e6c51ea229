#include "worker/supervisor/job_spawn.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/unit/worker/supervisor/spawned_children.h"
#include "worker/common/proc_info.h"

namespace backend::worker {
namespace {

using testing::count_fds;
using testing::reap;
using testing::sh;
using testing::slurp;

TEST(JobSpawn, StdoutAndStderrArriveOnTheirPipes) {
  Spawned p;
  ASSERT_FALSE(spawn_job(sh("echo out; echo err >&2; exit 3"), p));
  EXPECT_EQ(slurp(p.out_fd), "out\n");
  EXPECT_EQ(slurp(p.err_fd), "err\n");
  int status = reap(p.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(JobSpawn, OwnSessionNullStdinOnlyTheGivenEnvAndCwd) {
  SpawnSpec s = sh("cut -d' ' -f1,5,6 /proc/$$/stat; cat; echo \"[$ONLY][$HOME]\"; pwd");
  s.cwd = "/tmp";
  Spawned p;
  ASSERT_FALSE(spawn_job(s, p));
  std::string out = slurp(p.out_fd);
  slurp(p.err_fd);
  reap(p.pid);
  std::string me = std::to_string(p.pid);
  EXPECT_NE(out.find(me + " " + me + " " + me), std::string::npos) << out;  // pid = pgid = sid
  EXPECT_NE(out.find("[this][]"), std::string::npos) << out;
  EXPECT_NE(out.find("\n/tmp\n"), std::string::npos) << out;
}

// What the supervisor ignores or blocks is not the job's business.
TEST(JobSpawn, SignalsAreDefaultAndUnblockedInTheJob) {
  struct sigaction ign {}, old_pipe {}, old_usr2 {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);
  sigaction(SIGUSR2, &ign, &old_usr2);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &old_mask);
  SpawnSpec s;
  s.program = "/bin/grep";
  s.argv = {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"};
  Spawned p;
  auto err = spawn_job(s, p);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  sigaction(SIGUSR2, &old_usr2, nullptr);
  ASSERT_FALSE(err) << *err;
  std::string out = slurp(p.out_fd);
  slurp(p.err_fd);
  reap(p.pid);
  // Masks in hex, bit n-1 for signal n.
  unsigned long long blocked = 0, ignored = 0;
  ASSERT_EQ(sscanf(out.c_str(), "SigBlk:\t%llx\nSigIgn:\t%llx", &blocked, &ignored), 2) << out;
  EXPECT_EQ(blocked, 0u) << out;
  EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << out;
  EXPECT_EQ(ignored & (1ull << (SIGUSR2 - 1)), 0u) << out;
}

// The start time the spawn tells (without /proc) is the one /proc shows:
// the master and a new supervisor tell a job from a reused pid by it.
TEST(JobSpawn, TheStartTimeItTellsIsTheOneProcShows) {
  // A tick is 10 ms and a spawn far less, so most spawns tell; on a loaded
  // machine (a clean-clone run had 7 of 40) many straddle one: spawned
  // until 20 told, and at most 2,000 times.
  int told = 0;
  for (int i = 0; i < 2000 && told < 20; ++i) {
    Spawned p;
    ASSERT_FALSE(spawn_job(sh("read x"), p));  // stdin is /dev/null: it ends at once, unreaped
    auto shown = start_ticks(p.pid);
    slurp(p.out_fd);
    slurp(p.err_fd);
    reap(p.pid);
    ASSERT_TRUE(shown);
    if (p.start_ticks == 0) continue;  // the spawn straddled a tick: the caller asks /proc
    ++told;
    EXPECT_EQ(p.start_ticks, *shown) << "spawn " << i;
  }
  EXPECT_EQ(told, 20);
}

TEST(JobSpawn, InheritsNoOtherFd) {
  int leak = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  Spawned p;
  ASSERT_FALSE(spawn_job(sh("ls /proc/self/fd | wc -l"), p));
  std::string out = slurp(p.out_fd);
  slurp(p.err_fd);
  reap(p.pid);
  close(leak);
  // ls sees 0, 1, 2 and the fd it opened to read the folder.
  EXPECT_EQ(std::stoi(out), 4) << out;
}

// The supervisor holds three fds for every running job: the spawn must not
// hand any of them on, however many there are (job_spawn.cpp's child copies
// only the lowest fds).
TEST(JobSpawn, InheritsNoneOfThousandsOfOpenFds) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  rlimit raised{std::min<rlim_t>(lim.rlim_max, 4096), lim.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &raised), 0);
  const int n = static_cast<int>(std::min<rlim_t>(3000, raised.rlim_cur - 64));
  ASSERT_GE(n, 900);
  std::vector<int> held;
  for (int i = 0; i < n; ++i) held.push_back(open("/dev/null", i % 2 ? O_RDONLY : O_RDONLY | O_CLOEXEC));
  ASSERT_GE(held.back(), n);
  Spawned p;
  ASSERT_FALSE(spawn_job(sh("ls /proc/self/fd | wc -l"), p));
  std::string out = slurp(p.out_fd);
  slurp(p.err_fd);
  reap(p.pid);
  for (int fd : held) close(fd);
  setrlimit(RLIMIT_NOFILE, &lim);
  EXPECT_EQ(std::stoi(out), 4) << out;
}

// The spawn keeps no copy of a pipe's write end: when the job exits, its
// pipes hang up at once.
TEST(JobSpawn, ThePipesHangUpWhenTheJobExits) {
  Spawned p;
  ASSERT_FALSE(spawn_job(sh("exit 0"), p));
  reap(p.pid);
  for (int fd : {p.out_fd, p.err_fd}) {
    pollfd q{fd, POLLIN, 0};
    EXPECT_EQ(poll(&q, 1, 2000), 1);
    EXPECT_TRUE(q.revents & POLLHUP) << q.revents;
    char c;
    EXPECT_EQ(read(fd, &c, 1), 0);
    close(fd);
  }
}

// Every fd the spawner keeps is open once reserve_spawn_fds() returns, as
// the supervisor calls it first: a process's fds are the same before its
// first job and after its last (the chaos run checks the supervisor's).
TEST(JobSpawn, TheSpawnersFdsAreAllOpenBeforeItsFirstSpawn) {
  ASSERT_TRUE(reserve_spawn_fds());
  int before = count_fds();
  Spawned p;
  ASSERT_FALSE(spawn_job(sh("exit 0"), p));
  reap(p.pid);
  close(p.out_fd);
  close(p.err_fd);
  EXPECT_EQ(count_fds(), before);
}

// A failed step leaves nothing behind in the supervisor: no child to reap
// later, and the same number of open fds.
TEST(JobSpawn, AFailedSpawnLeavesNoChildAndNoFd) {
  Spawned warm;  // the first spawn reserves its fds
  ASSERT_FALSE(spawn_job(sh("exit 0"), warm));
  reap(warm.pid);
  close(warm.out_fd);
  close(warm.err_fd);
  int before = count_fds();
  SpawnSpec s = sh("true");
  s.cwd = "/nonexistent-dir";
  Spawned p;
  ASSERT_TRUE(spawn_job(s, p));
  EXPECT_EQ(count_fds(), before);
  errno = 0;
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(JobSpawn, AFailedExecIsReportedWithItsReason) {
  SpawnSpec s;
  s.program = "/nonexistent/program";
  s.argv = {"program"};
  Spawned p;
  auto err = spawn_job(s, p);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("No such file or directory"), std::string::npos) << *err;
  EXPECT_EQ(p.pid, -1);
}

TEST(JobSpawn, ABadWorkingDirectoryIsReported) {
  SpawnSpec s = sh("true");
  s.cwd = "/nonexistent-dir";
  Spawned p;
  auto err = spawn_job(s, p);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("working directory /nonexistent-dir"), std::string::npos) << *err;
}

TEST(JobSpawn, ANonExecutableFileIsRefused) {
  backend::testing::TempDir d;
  std::string path = d.path + "/job.sh";
  std::ofstream(path) << "echo hi\n";  // no execute bit, not even for root
  SpawnSpec s;
  s.program = path;
  s.argv = {path};
  Spawned p;
  auto err = spawn_job(s, p);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("Permission denied"), std::string::npos) << *err;
}

// Lanes spawn side by side: a child may copy another lane's slots, which
// hold that lane's pipe at the time, but each job's stdout must be the
// pipe its own spawn was given, and no pipe may stay open in another job
// (its reader would then never see the end).
TEST(JobSpawn, SpawnsOnTwoLanesAtOnceKeepTheirOwnPipes) {
  ASSERT_TRUE(reserve_spawn_fds());
  constexpr int kEach = 60;
  std::vector<std::string> wrong[kSpawnLanes];
  auto spawn_many = [&](int lane) {
    for (int i = 0; i < kEach; ++i) {
      const std::string word = "lane" + std::to_string(lane) + "-" + std::to_string(i);
      Spawned p;
      if (auto err = spawn_job(sh("echo " + word + "; echo " + word + " >&2"), p, lane)) {
        wrong[lane].push_back("spawn failed: " + *err);
        continue;
      }
      std::string out = slurp(p.out_fd), err = slurp(p.err_fd);
      if (out != word + "\n" || err != word + "\n") wrong[lane].push_back(word + ": out \"" + out + "\", err \"" + err + "\"");
      reap(p.pid);
    }
  };
  std::thread one(spawn_many, 1), two(spawn_many, 2);
  spawn_many(0);
  one.join();
  two.join();
  for (int lane = 0; lane < kSpawnLanes; ++lane) {
    EXPECT_TRUE(wrong[lane].empty()) << "lane " << lane << ": " << wrong[lane].size() << " wrong, first: " << wrong[lane][0];
  }
}

}  // namespace
}  // namespace backend::worker
