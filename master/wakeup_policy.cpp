#include "master/wakeup_policy.h"

#include <sched.h>

#include <cerrno>
#include <cstring>

namespace backend::master {

// The master is woken by every message its supervisor sends: a job's pipes
// lent before the spawn, a pid held after it. A plain woken task preempts
// the one running on its CPU when it has slept longer, and the master
// sleeps most of the time: in `perf sched timehist` of crash to running
// (2026-12-07) it took the CPU from the supervisor between the lend and the
// clone, or from the vfork child before its execve (supervisor probes: the
// lend took 40 to 110 us a restart, 20 us once the master was SCHED_BATCH).
// A batch task gets the same share of the CPU but never preempts on
// wake-up: it runs on the other CPU or when the supervisor sleeps, and
// nothing the master does is waited for meanwhile.
std::optional<std::string> yield_on_wakeups() {
  sched_param none{};
  if (sched_setscheduler(0, SCHED_BATCH, &none) != 0)
    return std::string("cannot become SCHED_BATCH: ") + std::strerror(errno);
  return std::nullopt;
}

void wake_as_usual() {
  sched_param none{};
  sched_setscheduler(0, SCHED_OTHER, &none);
}

}  // namespace backend::master
