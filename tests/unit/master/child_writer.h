// A child process whose stdout is the write end of a pipe, as a job's is.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace backend::master::testing {

struct ChildWriter {
  // Forks `sleep 30` with stdout on write_fd; returns once it has exec'd
  // (a close-on-exec pipe reaches EOF then).
  explicit ChildWriter(int write_fd) {
    int exec_seen[2];
    if (pipe2(exec_seen, O_CLOEXEC) != 0) return;
    pid = fork();
    if (pid == 0) {
      dup2(write_fd, 1);
      execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(exec_seen[1]);
    char c;
    while (read(exec_seen[0], &c, 1) < 0 && errno == EINTR) {
    }
    close(exec_seen[0]);
  }
  ~ChildWriter() {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  pid_t pid = -1;
};

}  // namespace backend::master::testing
