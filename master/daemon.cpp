#include "master/daemon.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace backend::master {
namespace {

// The original process: wait for the daemon's word.
[[noreturn]] void wait_for_start(int fd) {
  std::string message;
  char buf[512];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) message.append(buf, static_cast<size_t>(n));
  if (message == "ready") _exit(0);
  std::fprintf(stderr, "backend-server: %s\n",
               message.empty() ? "the daemon died while starting" : message.c_str());
  _exit(1);
}

}  // namespace

int daemonize() {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) std::exit(1);
  if (pid_t pid = fork(); pid < 0) {
    std::exit(1);
  } else if (pid > 0) {
    close(pipe_fds[1]);
    wait_for_start(pipe_fds[0]);
  }
  close(pipe_fds[0]);
  setsid();
  // The second fork makes sure the daemon is no session leader and can
  // never acquire a controlling terminal again.
  if (pid_t pid = fork(); pid < 0) std::exit(1); else if (pid > 0) _exit(0);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
  umask(022);
  return pipe_fds[1];
}

void report_start(int fd, const std::string& error) {
  if (fd < 0) return;
  std::string message = error.empty() ? "ready" : error;
  (void)!write(fd, message.data(), message.size());
  close(fd);
}

}  // namespace backend::master
