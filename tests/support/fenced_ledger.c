/* The fleet test's singleton job: every 200 ms appends "HOST EPOCH NANOS"
 * to a ledger, as a job whose writes are fenced by its epoch would
 * (BACKEND_EPOCH, BACKEND_HOST from the cluster agent): under an exclusive
 * lock it reads the last line and refuses to write, exiting 3, when that
 * line's epoch is newer than its own. So a copy left running on a host that
 * was killed outright can never write after its successor has.
 *
 *   fenced_ledger LEDGER */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static long long last_epoch(int fd) {
  char buf[4096];
  off_t size = lseek(fd, 0, SEEK_END);
  off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
  ssize_t n = pread(fd, buf, sizeof buf - 1, from);
  if (n <= 0) return -1;
  buf[n] = '\0';
  if (buf[n - 1] == '\n') buf[--n] = '\0';
  char *line = strrchr(buf, '\n');
  line = line ? line + 1 : buf;
  char host[256];
  long long epoch;
  return sscanf(line, "%255s %lld", host, &epoch) == 2 ? epoch : -1;
}

int main(int argc, char **argv) {
  if (argc != 2) return 64;
  const char *host = getenv("BACKEND_HOST"), *epoch_text = getenv("BACKEND_EPOCH");
  if (!host || !epoch_text) return 65;
  long long epoch = atoll(epoch_text);
  for (;;) {
    int fd = open(argv[1], O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) return 66;
    long long last = last_epoch(fd);
    if (last > epoch) {
      printf("fenced: epoch %lld is older than %lld\n", epoch, last);
      return 3;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char line[512];
    int len = snprintf(line, sizeof line, "%s %lld %lld\n", host, epoch,
                       (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    if (write(fd, line, (size_t)len) != len) return 67;
    close(fd); /* releases the lock */
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
}
