// Spawns made on the spawning threads and answered on the loop: every one
// answered once, with its own process and pipes, on the loop's thread;
// nothing left open by those never answered.
#include "worker/supervisor/spawn_threads.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/worker/supervisor/spawned_children.h"

namespace backend::worker {
namespace {

using testing::count_fds;
using testing::reap;
using testing::sh;
using testing::slurp;

class SpawnThreadsTest : public ::testing::Test {
 protected:
  SpawnThreadsTest() { uv_loop_init(&loop_); }
  ~SpawnThreadsTest() override {
    threads_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  SpawnThreads& threads() {
    if (!threads_) threads_.emplace(&loop_);
    return *threads_;
  }
  // Turns the loop until `done`, for at most ten seconds.
  template <class Done>
  void run_until(Done done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(10000);
    }
  }
  uv_loop_t loop_;
  std::optional<SpawnThreads> threads_;
};

struct Outcome {
  bool answered = false;
  bool on_the_loop = false;
  std::optional<std::string> error;
  Spawned spawned;
};

TEST_F(SpawnThreadsTest, EverySpawnIsAnsweredOnceOnTheLoopWithItsOwnProcess) {
  constexpr int kSpawns = 40;
  const auto loop_thread = std::this_thread::get_id();
  std::vector<Outcome> outcomes(kSpawns);
  for (int i = 0; i < kSpawns; ++i) {
    JobPipes pipes;
    ASSERT_FALSE(open_job_pipes(pipes));
    threads().spawn(sh("echo spawn" + std::to_string(i) + "; exit " + std::to_string(i % 7)), pipes,
                    [&, i](const std::optional<std::string>& error, const Spawned& spawned) {
                      EXPECT_FALSE(outcomes[i].answered) << "spawn " << i << " answered twice";
                      outcomes[i] = {true, std::this_thread::get_id() == loop_thread, error, spawned};
                    });
  }
  EXPECT_EQ(threads().in_flight(), size_t(kSpawns));
  run_until([&] { return threads().in_flight() == 0; });
  ASSERT_EQ(threads().in_flight(), 0u);
  std::set<pid_t> pids;
  for (int i = 0; i < kSpawns; ++i) {
    const Outcome& o = outcomes[i];
    ASSERT_TRUE(o.answered) << "spawn " << i;
    EXPECT_TRUE(o.on_the_loop) << "spawn " << i << " was answered on another thread";
    ASSERT_FALSE(o.error) << *o.error;
    pids.insert(o.spawned.pid);
    EXPECT_EQ(slurp(o.spawned.out_fd), "spawn" + std::to_string(i) + "\n");
    close(o.spawned.err_fd);
    int status = reap(o.spawned.pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == i % 7) << "spawn " << i << ": status " << status;
  }
  EXPECT_EQ(pids.size(), size_t(kSpawns));
}

TEST_F(SpawnThreadsTest, AFailedSpawnIsAnsweredWithItsReasonAndLeavesNoFd) {
  ASSERT_TRUE(reserve_spawn_fds());  // as the supervisor does first
  threads();
  const int before = count_fds();
  SpawnSpec spec = sh("");
  spec.program = "/no/such/program";
  JobPipes pipes;
  ASSERT_FALSE(open_job_pipes(pipes));
  Outcome o;
  threads().spawn(spec, pipes, [&](const std::optional<std::string>& error, const Spawned& spawned) {
    o = {true, true, error, spawned};
  });
  run_until([&] { return o.answered; });
  ASSERT_TRUE(o.answered);
  ASSERT_TRUE(o.error);
  EXPECT_NE(o.error->find("cannot execute /no/such/program"), std::string::npos) << *o.error;
  EXPECT_EQ(count_fds(), before);
  siginfo_t si{};
  EXPECT_NE(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), 0) << "a failed spawn left a child behind";
}

// The loop ending with spawns asked: nothing is answered after, and no
// pipe of theirs stays open in this process.
TEST_F(SpawnThreadsTest, SpawnsNeverAnsweredLeaveNoFdOpen) {
  ASSERT_TRUE(reserve_spawn_fds());  // as the supervisor does first
  threads();
  const int before = count_fds();
  int answered = 0;
  for (int i = 0; i < 12; ++i) {
    JobPipes pipes;
    ASSERT_FALSE(open_job_pipes(pipes));
    threads().spawn(sh("exit 0"), pipes, [&](const std::optional<std::string>&, const Spawned&) { ++answered; });
  }
  threads().close();
  threads_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(answered, 0);
  EXPECT_EQ(count_fds(), before);
  while (waitpid(-1, nullptr, 0) > 0) {
  }
}

// No thread to be had (the user is at its limit of processes): the spawn
// is made on the caller's thread and answered at once; here it cannot
// start a process either, and says so. Nothing is thrown. In a child of
// its own, whose user and limit it changes (root's limit is not enforced,
// so root becomes nobody first).
TEST_F(SpawnThreadsTest, WithoutAThreadASpawnIsMadeAndAnsweredAtOnce) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (geteuid() == 0 && setuid(65534) != 0) _exit(2);
    rlimit none{0, 0};
    if (setrlimit(RLIMIT_NPROC, &none) != 0) _exit(3);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bool answered = false;
    std::string error;
    try {
      SpawnThreads threads(&loop);
      JobPipes pipes;
      if (open_job_pipes(pipes)) _exit(4);
      threads.spawn(sh("exit 0"), pipes, [&](const std::optional<std::string>& err, const Spawned&) {
        answered = true;
        error = err.value_or("");
      });
      if (!answered) _exit(5);
      threads.close();
    } catch (...) {
      _exit(7);  // never back into the test runner from a forked child
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    _exit(error.find("cannot start a process") != std::string::npos ? 0 : 6);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "the test's child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2, 3: cannot set up; 5: not answered at once; 6: not the error; 7: thrown";
}

}  // namespace
}  // namespace backend::worker
