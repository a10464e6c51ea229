/* line_stamps: a job for timing how soon a line printed reaches a reader.
 *   line_stamps INTERVAL_US
 * prints "stamp SECONDS.NANOSECONDS" (the wall-clock time it printed the
 * line) every INTERVAL_US on an absolute clock, flushed at once, until it is
 * killed. A reader on the same machine subtracts the stamp from the time
 * the line reached it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: line_stamps INTERVAL_US\n"); return 2; }
  long interval_us = atol(argv[1]);
  if (interval_us <= 0) { fprintf(stderr, "line_stamps: INTERVAL_US must be positive\n"); return 2; }
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (;;) {
    next.tv_nsec += (interval_us % 1000000) * 1000;
    next.tv_sec += interval_us / 1000000 + next.tv_nsec / 1000000000;
    next.tv_nsec %= 1000000000;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) != 0) {
    }
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    printf("stamp %lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec);
    fflush(stdout);
  }
}
