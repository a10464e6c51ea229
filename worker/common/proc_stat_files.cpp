#include "worker/common/proc_stat_files.h"

#include <unistd.h>

namespace backend::worker {
namespace {

std::optional<ProcUsage> read_usage(int fd) {
  char buf[1024];
  if (!read_proc_file(fd, buf, sizeof buf)) return std::nullopt;
  return usage_of_stat(buf);
}

}  // namespace

ProcStatFiles::~ProcStatFiles() {
  for (auto &[pid, file] : files_) close(file.fd);
}

std::optional<ProcUsage> ProcStatFiles::usage(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  if (auto it = files_.find(pid); it != files_.end()) {
    it->second.used = true;
    if (auto usage = read_usage(it->second.fd)) return usage;
    close(it->second.fd);  // its process ended; the pid may be another's now
    files_.erase(it);
  }
  int fd = open_proc(pid, "stat");
  if (fd < 0) return std::nullopt;
  auto usage = read_usage(fd);
  if (usage && files_.size() < max_open_)
    files_.emplace(pid, File{fd, true});
  else
    close(fd);
  return usage;
}

void ProcStatFiles::sweep() {
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->second.used) {
      it->second.used = false;
      ++it;
    } else {
      close(it->second.fd);
      it = files_.erase(it);
    }
  }
}

}  // namespace backend::worker
