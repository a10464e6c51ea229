#include "master/daemon.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace backend::master {

void daemonize() {
  if (pid_t pid = fork(); pid < 0) std::exit(1); else if (pid > 0) _exit(0);
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
}

}  // namespace backend::master
