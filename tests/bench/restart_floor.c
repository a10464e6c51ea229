/* restart_floor: the least any supervisor can do to bring a killed job back.
 *   restart_floor STAMPER FILE
 * Supervises STAMPER FILE (tests/bench/job_stamp) until it is killed itself:
 * SIGCHLD is read from a signalfd in epoll, the job is reaped and
 * posix_spawn'd again, nothing else (no pipes, no log, no state). Scenario 4
 * of tests/bench/compare kills its job (the one child it has) and times the
 * new stamp exactly as it does the daemons', in the same rounds, so that
 * the killer's polling and the pause between kills weigh on it as on them.
 * What a supervisor takes above this is its own; this much is the
 * kernel's, on this machine. */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: restart_floor STAMPER FILE\n");
    return 2;
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) != 0) return 3;
  char *job_argv[] = {argv[1], argv[2], NULL};
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  for (;;) {
    pid_t pid;
    if (posix_spawn(&pid, argv[1], NULL, &attr, job_argv, environ) != 0) return 4;
    for (;;) {
      if (epoll_wait(ep, &ev, 1, -1) < 0) continue;
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      if (waitpid(-1, NULL, WNOHANG) > 0) break;
    }
  }
}
