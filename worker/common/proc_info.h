// What /proc tells about a process.
#pragma once

#include <cstdint>
#include <optional>
#include <sys/types.h>

namespace backend::worker {

// VmRSS of pid in kB; nullopt when the process is gone.
std::optional<long> rss_kb(pid_t pid);

// When the process started, in clock ticks since boot (field 22 of
// /proc/PID/stat): with the pid, it names one process for good, so a reused
// pid is never mistaken for a job.
std::optional<uint64_t> start_ticks(pid_t pid);

// True when pid is still the process that started at `ticks` (a pid and
// its start time recorded earlier; 0 matches nothing).
bool same_process(pid_t pid, uint64_t ticks);

// True when the process has exited and waits to be reaped.
bool is_zombie(pid_t pid);

}  // namespace backend::worker
