/* restart_floor: the least any supervisor can do to bring a killed job back,
 * timed as scenario 4 of tests/bench/compare times the real ones.
 *   restart_floor STAMPER FILE KILLS
 * A child process supervises STAMPER (tests/bench/job_stamp): SIGCHLD is
 * read from a signalfd in epoll, the job is reaped and posix_spawn'd again,
 * nothing else (no pipes, no log, no state). The parent SIGKILLs the job
 * KILLS times and prints, one per line, the milliseconds from the kill to
 * the time the new process stamped into FILE. What a supervisor takes above
 * this is its own; this much is the kernel's, on this machine. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { kStampBytes = 21 }; /* "%lld.%09ld\n" of a current time */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Never returns: spawns the job, and again each time it is reaped. */
static void supervise(const char *stamper, const char *file, int report) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) != 0) _exit(3);
  char *argv[] = {(char *)stamper, (char *)file, NULL};
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  for (;;) {
    pid_t pid;
    if (posix_spawn(&pid, stamper, NULL, &attr, argv, environ) != 0) _exit(4);
    if (write(report, &pid, sizeof pid) != sizeof pid) _exit(5);
    for (;;) {
      if (epoll_wait(ep, &ev, 1, -1) < 0) continue;
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      if (waitpid(-1, NULL, WNOHANG) > 0) break;
    }
  }
}

static void wait_stamps(const char *file, long count) {
  struct stat st;
  while (stat(file, &st) != 0 || st.st_size < count * kStampBytes) usleep(500);
}

static double stamp_number(const char *file, long n) {
  FILE *f = fopen(file, "r");
  char line[64];
  double t = 0;
  for (long k = 0; f && k <= n && fgets(line, sizeof line, f); ++k) t = atof(line);
  if (f) fclose(f);
  return t;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: restart_floor STAMPER FILE KILLS\n");
    return 2;
  }
  const char *stamper = argv[1], *file = argv[2];
  long kills = atol(argv[3]);
  unlink(file);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return 1;
  pid_t sup = fork();
  if (sup < 0) return 1;
  if (sup == 0) supervise(stamper, file, p[1]);
  pid_t job;
  if (read(p[0], &job, sizeof job) != sizeof job) return 1;
  for (long i = 0; i < kills; ++i) {
    wait_stamps(file, i + 1);
    usleep(200000);
    double t0 = now();
    kill(job, SIGKILL);
    if (read(p[0], &job, sizeof job) != sizeof job) return 1;
    wait_stamps(file, i + 2);
    printf("%.3f\n", (stamp_number(file, i + 1) - t0) * 1000);
  }
  kill(sup, SIGKILL);
  waitpid(sup, NULL, 0);
  kill(job, SIGKILL);
  return 0;
}
