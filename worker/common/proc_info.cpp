#include "worker/common/proc_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shm/own_pid.h"

namespace backend::worker {
namespace {

// /proc/PID/<file> into buf, NUL-terminated; false when the process is gone.
template <size_t N>
bool read_proc(pid_t pid, const char* file, char (&buf)[N]) {
  int fd = open_proc(pid, file);
  if (fd < 0) return false;
  bool read = read_proc_file(fd, buf, N);
  close(fd);
  return read;
}

// Field `n` (from 1, as proc(5) counts) of /proc/PID/stat as read into buf.
const char* stat_field(const char* buf, int n) {
  // The name in parentheses may hold spaces: count fields after its end.
  const char* p = std::strrchr(buf, ')');
  for (int field = 2; field < n && p; ++field) p = std::strchr(p + 1, ' ');
  return p ? p + 1 : nullptr;
}

}  // namespace

int open_proc(pid_t pid, const char* file) {
  if (pid <= 0) return -1;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/%s", static_cast<int>(pid), file);
  return open(path, O_RDONLY | O_CLOEXEC);
}

bool read_proc_file(int fd, char* buf, size_t size) {
  ssize_t n = pread(fd, buf, size - 1, 0);
  if (n <= 0) return false;
  buf[n] = '\0';
  return true;
}

// From statm's second field, the resident pages: the same count as
// status' VmRSS (both get_mm_rss), in a file the kernel makes in a fraction
// of the time. MEMALL reads it for every running job: 14 ms at 1,000 jobs
// when it read status. A zombie's statm is all zeros.
std::optional<long> rss_kb(pid_t pid) {
  static const long page_kb = sysconf(_SC_PAGESIZE) / 1024;
  char buf[256];
  if (!read_proc(pid, "statm", buf)) return std::nullopt;
  const char* resident = std::strchr(buf, ' ');
  if (!resident) return 0L;
  return std::strtol(resident + 1, nullptr, 10) * page_kb;
}

std::optional<uint64_t> start_ticks(pid_t pid) {
  char buf[1024];
  if (!read_proc(pid, "stat", buf)) return std::nullopt;
  const char* p = stat_field(buf, 22);
  if (!p) return std::nullopt;
  return std::strtoull(p, nullptr, 10);
}

std::optional<ProcUsage> usage_of_stat(const char* stat) {
  static const long ticks_per_s = sysconf(_SC_CLK_TCK);
  static const long page = sysconf(_SC_PAGESIZE);
  const char* utime = stat_field(stat, 14);
  const char* rss = stat_field(stat, 24);
  if (!utime || !rss) return std::nullopt;
  char* end = nullptr;
  uint64_t user = std::strtoull(utime, &end, 10);
  uint64_t sys = std::strtoull(end, nullptr, 10);
  return ProcUsage{std::strtoull(rss, nullptr, 10) * uint64_t(page), double(user + sys) / double(ticks_per_s)};
}

std::optional<ProcUsage> proc_usage(pid_t pid) {
  char buf[1024];
  if (!read_proc(pid, "stat", buf)) return std::nullopt;
  return usage_of_stat(buf);
}

bool same_process(pid_t pid, uint64_t ticks) { return ticks && start_ticks(pid).value_or(0) == ticks; }

// Fields 33 and 34 of stat (sigignore, sigcatch; decimal) say what status'
// SigIgn and SigCgt say, in a file the kernel makes in half the time.
uint64_t non_default_signals(int own_stat_fd) {
  char buf[1024];
  const char* ignored = read_proc_file(own_stat_fd, buf, sizeof buf) ? stat_field(buf, 33) : nullptr;
  if (!ignored) return ~uint64_t(0);
  char* end = nullptr;
  uint64_t set = std::strtoull(ignored, &end, 10);
  if (end == ignored || *end != ' ') return ~uint64_t(0);
  return set | std::strtoull(end + 1, nullptr, 10);
}

bool is_zombie(pid_t pid) {
  char buf[1024];
  if (!read_proc(pid, "stat", buf)) return false;
  const char* p = std::strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'Z';
}

}  // namespace backend::worker
