/* jobs_writer: the job program of run-jobs.sh.
 *   jobs_writer ID COUNT INTERVAL_US [STAMP_FILE]
 * prints COUNT lines of exactly 70 bytes ("w ID SEQ xxx...\n", SEQ from 0)
 * to stdout. INTERVAL_US > 0: one line per interval on an absolute clock
 * (catching up when late), flushed at once; 0: as fast as stdio allows.
 * STAMP_FILE: first writes the wall-clock time it began (seconds since the
 * epoch) there, so that a benchmark times from the job's start, not from a
 * client's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) { fprintf(stderr, "usage: jobs_writer ID COUNT INTERVAL_US [STAMP_FILE]\n"); return 2; }
  if (argc == 5) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    FILE *f = fopen(argv[4], "w");
    if (!f || fprintf(f, "%lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec) < 0 || fclose(f) != 0) return 3;
  }
  const char *id = argv[1];
  long long count = atoll(argv[2]);
  long interval = atol(argv[3]);
  static char buf[1 << 16];
  setvbuf(stdout, buf, _IOFBF, sizeof buf);
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  char line[128];
  for (long long i = 0; i < count; ++i) {
    int n = snprintf(line, sizeof line, "w %s %lld ", id, i);
    memset(line + n, 'x', 69 - n);
    line[69] = '\n';
    fwrite(line, 1, 70, stdout);
    if (interval > 0) {
      fflush(stdout);
      next.tv_nsec += interval * 1000L;
      while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
  }
  fflush(stdout);
  return 0;
}
