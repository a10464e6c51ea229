/* spawn_floor: the least any supervisor can do to start N jobs, timed
 * beside scenario 3 of tests/bench/compare (start 1,000 jobs).
 *   spawn_floor N PROGRAM [ARG...]
 * One loop of N posix_spawn()s of PROGRAM, each in a session of its own
 * with stdin, stdout and stderr on /dev/null, from a process with no other
 * descriptor open; glibc's posix_spawn returns once the program was
 * executed, so when the loop ends every job runs. Prints the loop's
 * seconds, then SIGKILLs and reaps the jobs. No pipes, no log, no state,
 * no client: what a supervisor takes above this is its own. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3 || atoi(argv[1]) <= 0) {
    fprintf(stderr, "usage: spawn_floor N PROGRAM [ARG...]\n");
    return 2;
  }
  int n = atoi(argv[1]);
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd < 3; ++fd) posix_spawn_file_actions_adddup2(&fa, null, fd);
  int spawned = 0, err = 0;
  double t0 = now();
  for (; spawned < n; ++spawned)
    if ((err = posix_spawn(&pids[spawned], argv[2], &fa, &attr, argv + 2, environ)) != 0) break;
  double t1 = now();
  for (int i = 0; i < spawned; ++i) kill(pids[i], SIGKILL);
  for (int i = 0; i < spawned; ++i) waitpid(pids[i], NULL, 0);
  if (err) {
    fprintf(stderr, "spawn_floor: posix_spawn %s failed after %d: error %d\n", argv[2], spawned, err);
    return 1;
  }
  printf("%.6f\n", t1 - t0);
  return 0;
}
