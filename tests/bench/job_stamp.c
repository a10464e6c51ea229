/* job_stamp: a job for timing restarts.
 *   job_stamp FILE
 * appends the wall-clock time it began (seconds since the epoch) as one line
 * to FILE, then sleeps until it is killed. A benchmark that kills it reads
 * the next line to know when the new process ran, without asking the
 * supervisor anything meanwhile. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: job_stamp FILE\n"); return 2; }
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  char line[64];
  int n = snprintf(line, sizeof line, "%lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec);
  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, (size_t)n) != n) return 3;
  close(fd);
  for (;;) pause();
}
