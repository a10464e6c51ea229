// What /proc tells about a process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <sys/types.h>

namespace backend::worker {

// Resident memory of pid in kB (VmRSS); nullopt when the process is gone.
std::optional<long> rss_kb(pid_t pid);

// What a process costs, from one read of /proc/PID/stat (for /metrics,
// where a scrape reads it for every running job): resident memory, and
// the CPU time it used so far, user and system.
struct ProcUsage {
  uint64_t rss_bytes;
  double cpu_seconds;
};
std::optional<ProcUsage> proc_usage(pid_t pid);
// The same from the text of a /proc/PID/stat read, NUL-terminated.
std::optional<ProcUsage> usage_of_stat(const char* stat);

// /proc/PID/<file> opened close-on-exec (-1 when the process is gone), and
// read whole from its start into buf, NUL-terminated: false once the
// process it names has ended. The file can be read again and again.
int open_proc(pid_t pid, const char* file);
bool read_proc_file(int fd, char* buf, size_t size);

// When the process started, in clock ticks since boot (field 22 of
// /proc/PID/stat): with the pid, it names one process for good, so a reused
// pid is never mistaken for a job.
std::optional<uint64_t> start_ticks(pid_t pid);

// True when pid is still the process that started at `ticks` (a pid and
// its start time recorded earlier; 0 matches nothing).
bool same_process(pid_t pid, uint64_t ticks);

// The signals this process catches or ignores (SigCgt | SigIgn, bit n-1 for
// signal n), read from own_stat_fd, this process's /proc/PID/stat kept open
// (open_proc(own pid, "stat")): the ones a child must set back to default
// before it execs. All of them when the file cannot tell.
uint64_t non_default_signals(int own_stat_fd);

// True when the process has exited and waits to be reaped.
bool is_zombie(pid_t pid);

}  // namespace backend::worker
