// How the master is scheduled when it wakes: behind the process it shares a
// CPU with, not ahead of it.
#pragma once

#include <optional>
#include <string>

namespace backend::master {

// Makes the calling thread, and the threads it creates, SCHED_BATCH. The
// error, if the kernel refused.
std::optional<std::string> yield_on_wakeups();

// Back to SCHED_OTHER, for a process the master forked: a policy other than
// SCHED_FIFO and SCHED_RR is inherited across fork and exec, and the
// workers, and the jobs they start, are scheduled as any process is.
void wake_as_usual();

}  // namespace backend::master
