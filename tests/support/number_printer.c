/* number_printer: a job for the tests that count a job's lines.
 *   number_printer INTERVAL_US LINES_PER_WRITE WIDTH [ANY...]
 * prints 1, 2, 3, ... one number a line, zero-padded to WIDTH digits (0:
 * as they come), LINES_PER_WRITE lines in each write(2), and sleeps
 * INTERVAL_US after each write, until it is killed or its output is gone.
 * A write of at most PIPE_BUF bytes is never split, so a signal leaves no
 * half line. Further arguments are not read: a job script passes its own
 * path, so that its temp folder stays in the process's command line.
 * A compiled job, not an interpreter found on PATH: twenty of them start
 * at once in a test, on any machine. */
#define _POSIX_C_SOURCE 200809L  /* nanosleep, whatever -std the compiler is given */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void sleep_us(long us) {
  struct timespec left = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: number_printer INTERVAL_US LINES_PER_WRITE WIDTH [ANY...]\n");
    return 2;
  }
  long interval_us = atol(argv[1]), lines = atol(argv[2]), width = atol(argv[3]);
  if (interval_us < 0 || lines < 1 || lines > 10000 || width < 0 || width > 1000) {
    fprintf(stderr, "number_printer: INTERVAL_US >= 0, LINES_PER_WRITE 1..10000, WIDTH 0..1000\n");
    return 2;
  }
  /* A line: the digits (at most WIDTH, or 20 for a long long), '\n'. */
  size_t line_max = (size_t)(width > 20 ? width : 20) + 1;
  char *buf = malloc((size_t)lines * line_max + 1);
  if (!buf) return 3;
  for (long long n = 1;;) {
    size_t len = 0;
    for (long k = 0; k < lines; ++k, ++n) len += (size_t)sprintf(buf + len, "%0*lld\n", (int)width, n);
    if (write_all(buf, len) != 0) return 1;
    if (interval_us > 0) sleep_us(interval_us);
  }
}
