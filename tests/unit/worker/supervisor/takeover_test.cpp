// The takeover, with the jobs on their own loop: what becomes of a job
// adopted from a dead supervisor whose process is already gone.
#include "worker/supervisor/takeover.h"

#include "worker/supervisor/jobs.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "tests/unit/worker/supervisor/jobs_on_a_loop.h"
#include "worker/common/proc_info.h"

namespace backend::worker {
namespace {

// A pid that no process has: a child already reaped.
pid_t gone_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

class JobsAdopt : public testing::JobsOnALoop {
 protected:
  JobsAdopt() : JobsOnALoop("jobs-adopt") { slot_ = *seg_.seg.table().put("j", R"({"command":"/bin/true"})", 20); }
  shm::JobInfo info() { return JobsOnALoop::info(slot_); }
  uint32_t slot_ = 0;
};

TEST_F(JobsAdopt, AGoneJobWhoseExitNeverComesIsRecordedEndedAndItsStopAnswered) {
  pid_t pid = gone_pid();
  std::vector<int> no_fds;
  auto adopted = Clock::now();
  jobs().takeover().adopt("j", R"({"command":"/bin/true"})", pid, slot_, 12345, no_fds, false, 0);
  EXPECT_TRUE(info().up()) << "the master's EXIT may still come: until then the job counts as running";
  EXPECT_TRUE(jobs().running("j"));

  std::optional<protocol::Code> stopped;
  jobs().stop("j", [&](protocol::Code code, const std::string&) { stopped = code; });
  run_until([&] { return stopped.has_value(); }, std::chrono::milliseconds(Jobs::kExitDeadlineMs + 3000));

  ASSERT_TRUE(stopped) << "a STOP of a job whose exit was lost must not wait for ever";
  EXPECT_EQ(*stopped, protocol::Code::kOk);
  EXPECT_GE(Clock::now() - adopted, std::chrono::milliseconds(Jobs::kExitDeadlineMs - 100));
  EXPECT_FALSE(info().up());
  EXPECT_EQ(info().last_exit_code, -1) << "the status is unknown, and said to be";
  EXPECT_FALSE(jobs().running("j"));
}

TEST_F(JobsAdopt, TheMastersExitBeforeTheDeadlineGivesTheRealStatus) {
  pid_t pid = gone_pid();
  std::vector<int> no_fds;
  jobs().takeover().adopt("j", R"({"command":"/bin/true"})", pid, slot_, 12345, no_fds, false, 0);
  jobs().takeover().master_reaped(pid, 3 << 8);  // exit code 3
  EXPECT_FALSE(info().up());
  EXPECT_EQ(info().last_exit_code, 3);
  int64_t exited_at = info().last_exit_at;

  // The deadline passing afterwards changes nothing.
  run_until([] { return false; }, std::chrono::milliseconds(Jobs::kExitDeadlineMs + 300));
  EXPECT_EQ(info().last_exit_code, 3);
  EXPECT_EQ(info().last_exit_at, exited_at);
}

TEST_F(JobsAdopt, ALiveJobIsAdoptedUpAndLeftRunning) {
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  auto ticks = start_ticks(pid);
  ASSERT_TRUE(ticks);
  std::vector<int> no_fds;
  jobs().takeover().adopt("j", R"({"command":"/bin/true"})", pid, slot_, *ticks, no_fds, false, 0);
  run_until([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_TRUE(info().up());
  EXPECT_EQ(info().pid, pid);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  jobs().reap();  // nothing left to reap: the master would tell
  jobs().takeover().master_reaped(pid, status);
  EXPECT_FALSE(info().up());
  EXPECT_EQ(info().last_exit_signal, SIGKILL);
}

}  // namespace
}  // namespace backend::worker
