#include "master/wakeup_policy.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace backend::master {
namespace {

// In a child of its own, so that the test process keeps its policy. The
// child's exit code says what it saw: 0 when it became SCHED_BATCH, a plain
// fork of it inherited that, and the fork that asked was SCHED_OTHER again.
int policies_seen() {
  pid_t pid = fork();
  if (pid == 0) {
    if (yield_on_wakeups()) _exit(1);
    if (sched_getscheduler(0) != SCHED_BATCH) _exit(2);
    pid_t worker = fork();
    if (worker == 0) {
      if (sched_getscheduler(0) != SCHED_BATCH) _exit(1);  // what wake_as_usual is for
      wake_as_usual();
      _exit(sched_getscheduler(0) == SCHED_OTHER ? 0 : 2);
    }
    int status = 0;
    waitpid(worker, &status, 0);
    _exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3 + (WIFEXITED(status) ? WEXITSTATUS(status) : 9));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(WakeupPolicy, TheMasterIsBatchAndTheProcessesItForksAreNot) {
  EXPECT_EQ(policies_seen(), 0) << "1: refused, 2: not SCHED_BATCH, 4: a fork did not inherit it, 5: a fork stayed "
                                   "SCHED_BATCH after wake_as_usual";
}

}  // namespace
}  // namespace backend::master
