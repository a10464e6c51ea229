// The run lifecycle on a loop of its own, where a START's spawn is under
// way on a spawning thread while the loop goes on: what comes for the job
// meanwhile waits for its answer, and an exit reaped before it is kept.
#include "worker/supervisor/jobs.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/worker/supervisor/jobs_on_a_loop.h"

namespace backend::worker {
namespace {

using protocol::Code;
using namespace std::chrono_literals;

// A /bin/sh job's settings: `script` is what sh -c runs.
std::string sh(const std::string& script) {
  return R"({"command":"/bin/sh","params":"-c \")" + script + R"(\""})";
}

// True once a child of this process has ended and is not reaped yet
// (WNOWAIT leaves it for Jobs::reap).
bool a_child_ended(std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  do {
    siginfo_t si{};
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0) return true;
    std::this_thread::sleep_for(5ms);
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

struct Answer {
  std::optional<Code> code;
  std::string error;
  // `also` runs as the answer comes (the job's pid is in its slot then).
  Run::Reply reply(std::function<void()> also = {}) {
    return [this, also](Code c, const std::string& e) {
      code = c;
      error = e;
      if (also) also();
    };
  }
};

class JobsLifecycle : public testing::JobsOnALoop {
 protected:
  JobsLifecycle() : JobsOnALoop("jobs") {}
  uint32_t add(const std::string& name, const std::string& settings) {
    return *seg_.seg.table().put(name, settings, 20);
  }
  // Runs the loop, reaping as a supervisor's SIGCHLD would.
  template <class Done>
  void run_reaping(Done done, std::chrono::milliseconds limit = 5000ms) {
    run_until([&] {
      jobs().reap();
      return done();
    }, limit);
  }
};

TEST_F(JobsLifecycle, AStartIsAnsweredOnceItsProcessRuns) {
  uint32_t slot = add("j", sh("sleep 100"));
  Answer started;
  jobs().start("j", sh("sleep 100"), started.reply());
  EXPECT_TRUE(jobs().running("j")) << "a job being spawned counts as running";
  run_reaping([&] { return started.code.has_value(); });
  ASSERT_EQ(started.code, Code::kOk) << started.error;
  pid_t pid = info(slot).pid;
  ASSERT_GT(pid, 0);
  EXPECT_EQ(kill(pid, 0), 0);
  EXPECT_TRUE(info(slot).up());
  Answer stopped;
  jobs().stop("j", stopped.reply());
  run_reaping([&] { return stopped.code.has_value(); });
  EXPECT_EQ(stopped.code, Code::kOk);
  EXPECT_FALSE(jobs().running("j"));
}

TEST_F(JobsLifecycle, AStopWhileTheSpawnIsUnderWayWaitsForItThenStopsTheJob) {
  uint32_t slot = add("j", sh("sleep 100"));
  Answer started, stopped;
  pid_t pid = 0;
  jobs().start("j", sh("sleep 100"), started.reply([&] { pid = info(slot).pid; }));
  jobs().stop("j", stopped.reply());  // the same turn: the spawn is not answered yet
  EXPECT_FALSE(stopped.code) << "a STOP of a job being spawned was answered before the spawn";
  run_reaping([&] { return stopped.code.has_value(); });
  ASSERT_EQ(started.code, Code::kOk) << started.error;
  ASSERT_EQ(stopped.code, Code::kOk) << stopped.error;
  ASSERT_GT(pid, 0);
  EXPECT_NE(kill(pid, 0), 0) << "the STOP was answered while the job runs";
  EXPECT_FALSE(info(slot).up());
  EXPECT_FALSE(jobs().running("j"));
}

TEST_F(JobsLifecycle, ASecondStartWhileTheSpawnIsUnderWayIsRefusedOnceTheFirstRuns) {
  add("j", sh("sleep 100"));
  Answer first, second;
  jobs().start("j", sh("sleep 100"), first.reply());
  jobs().start("j", sh("sleep 100"), second.reply());
  EXPECT_FALSE(second.code);
  run_reaping([&] { return second.code.has_value(); });
  EXPECT_EQ(first.code, Code::kOk) << first.error;
  EXPECT_EQ(second.code, Code::kFailed);
  EXPECT_NE(second.error.find("already running"), std::string::npos) << second.error;
  Answer stopped;
  jobs().stop("j", stopped.reply());
  run_reaping([&] { return stopped.code.has_value(); });
  EXPECT_EQ(stopped.code, Code::kOk);
}

// The program ends, and is reaped, before the loop hears that its spawn
// succeeded: its exit must still be the run's.
TEST_F(JobsLifecycle, AnExitReapedBeforeItsSpawnIsAnsweredEndsTheRun) {
  uint32_t slot = add("j", sh("exit 7"));
  std::optional<bool> requested;
  jobs().set_on_exit([&](const std::string&, bool req, int64_t) { requested = req; });
  Answer started;
  jobs().start("j", sh("exit 7"), started.reply());
  ASSERT_TRUE(a_child_ended(5000ms)) << "the job's process never ended";
  jobs().reap();  // the loop has not turned: its spawn is not answered yet
  EXPECT_FALSE(started.code);
  run_reaping([&] { return started.code.has_value() && requested.has_value(); });
  ASSERT_EQ(started.code, Code::kOk) << started.error;
  ASSERT_TRUE(requested) << "the exit was lost: the job counts as running for ever";
  EXPECT_FALSE(*requested);
  EXPECT_FALSE(jobs().running("j"));
  EXPECT_FALSE(info(slot).up());
  EXPECT_EQ(info(slot).last_exit_code, 7);
}

TEST_F(JobsLifecycle, AFailedExecIsAnsweredWithItsReasonAndLeavesTheJobDown) {
  const std::string script = dir_.path + "/bad.sh";
  std::ofstream(script) << "#!/no/such/interpreter\n";
  chmod(script.c_str(), 0755);
  const std::string settings = R"({"command":")" + script + R"("})";
  uint32_t slot = add("j", settings);
  Answer started;
  jobs().start("j", settings, started.reply());
  run_reaping([&] { return started.code.has_value(); });
  ASSERT_EQ(started.code, Code::kFailed);
  EXPECT_NE(started.error.find("cannot execute " + script), std::string::npos) << started.error;
  EXPECT_FALSE(jobs().running("j"));
  EXPECT_FALSE(info(slot).up());
  // And it can be started again once fixed.
  std::ofstream(script) << "#!/bin/sh\nexec sleep 100\n";
  Answer again;
  jobs().start("j", settings, again.reply());
  run_reaping([&] { return again.code.has_value(); });
  EXPECT_EQ(again.code, Code::kOk) << again.error;
  Answer stopped;
  jobs().stop("j", stopped.reply());
  run_reaping([&] { return stopped.code.has_value(); });
}

TEST_F(JobsLifecycle, StoppingEverythingWaitsForTheSpawnsUnderWay) {
  std::vector<Answer> started(6);
  std::vector<pid_t> pids(6, 0);
  for (int i = 0; i < 6; ++i) {
    const std::string name = "j" + std::to_string(i);
    uint32_t slot = add(name, sh("sleep 100"));
    jobs().start(name, sh("sleep 100"), started[i].reply([&, i, slot] { pids[i] = info(slot).pid; }));
  }
  bool all_stopped = false;
  jobs().stop_all([&] { all_stopped = true; });
  EXPECT_FALSE(all_stopped);
  run_reaping([&] { return all_stopped; }, 15000ms);
  ASSERT_TRUE(all_stopped);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(started[i].code, Code::kOk) << started[i].error;
    ASSERT_GT(pids[i], 0);
    EXPECT_NE(kill(pids[i], 0), 0) << "job " << i << " outlived the stop of everything";
  }
}

}  // namespace
}  // namespace backend::worker
