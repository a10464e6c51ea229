#include "worker/proc_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace backend::worker {

std::optional<long> rss_kb(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  const char* at = std::strstr(buf, "\nVmRSS:");
  if (!at) return 0L;  // a zombie has no VmRSS line
  return std::strtol(at + 7, nullptr, 10);
}

std::optional<uint64_t> start_ticks(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // The name in parentheses may hold spaces: count fields after its end.
  const char* p = std::strrchr(buf, ')');
  if (!p) return std::nullopt;
  for (int field = 2; field < 22 && p; ++field) p = std::strchr(p + 1, ' ');
  if (!p) return std::nullopt;
  return std::strtoull(p + 1, nullptr, 10);
}

}  // namespace backend::worker
