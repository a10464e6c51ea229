// What the spawning tests (job_spawn_test.cpp, spawn_threads_test.cpp)
// do with the processes they start: a /bin/sh job, its output read to the
// end, its exit reaped, and the fds this process holds counted.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "worker/supervisor/job_spawn.h"

namespace backend::worker::testing {

// Everything the fd writes until EOF (bounded by a timeout); closes it.
inline std::string slurp(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

inline SpawnSpec sh(const std::string& script) {
  SpawnSpec s;
  s.program = "/bin/sh";
  s.argv = {"sh", "-c", script};
  s.env = {"PATH=/usr/bin:/bin", "ONLY=this"};
  return s;
}

inline int reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

inline int count_fds() {
  int n = 0;
  for (int fd = 0; fd < 4096; ++fd) n += fcntl(fd, F_GETFD) != -1;
  return n;
}

}  // namespace backend::worker::testing
