#include "master/orphan_pipe.h"

#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cstdlib>
#include <string>

#include "worker/common/atomic_file.h"

namespace backend::master {
namespace {

bool writes_to(pid_t pid, const std::string& pipe) {
  for (int fd : {1, 2}) {
    char target[64];
    std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    ssize_t n = readlink(link.c_str(), target, sizeof target);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == pipe) return true;
  }
  return false;
}

}  // namespace

pid_t child_writing_to(int read_fd) {
  struct stat st {};
  if (fstat(read_fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return 0;
  const std::string pipe = "pipe:[" + std::to_string(st.st_ino) + "]";
  // An orphan is adopted by some thread of the subreaper: every task's list.
  // opendir, not std::filesystem, which would link iostreams and locales
  // into the server (see run/backend_server_main.cpp).
  DIR* tasks = opendir("/proc/self/task");
  if (!tasks) return 0;
  pid_t found = 0;
  while (dirent* task = readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::string error;
    std::optional<std::string> children =
        worker::read_file(std::string("/proc/self/task/") + task->d_name + "/children", error);
    if (!children) continue;
    // Pids, each followed by a space.
    for (const char* at = children->c_str(); *at && !found;) {
      char* end = nullptr;
      long pid = std::strtol(at, &end, 10);
      if (end == at) break;
      if (writes_to(static_cast<pid_t>(pid), pipe)) found = static_cast<pid_t>(pid);
      at = end;
    }
    if (found) break;
  }
  closedir(tasks);
  return found;
}

}  // namespace backend::master
