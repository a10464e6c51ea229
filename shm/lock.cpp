#include "shm/lock.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <signal.h>
#include <unistd.h>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/exceptions.hpp>

namespace backend::shm {

// A zombie is dead for our purpose: it will never give a lock back, and
// its parent may be the very process waiting for that lock.
bool pid_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  char path[64], buf[512];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return true;
  buf[n] = '\0';
  const char* end = std::strrchr(buf, ')');
  return !(end && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X'));
}

namespace {

// sem_timedwait is never restarted after a signal handler ran, and Boost
// turns that EINTR into an exception: it is just another try.
bool timed_take(LockWord& lock, std::chrono::milliseconds slice) {
  using namespace boost::posix_time;
  try {
    if (lock.sem.try_wait()) return true;
    return lock.sem.timed_wait(microsec_clock::universal_time() + milliseconds(slice.count()));
  } catch (const boost::interprocess::interprocess_exception&) {
    return false;
  }
}

// Gives the count back for a dead holder. The compare-exchange makes sure
// only one of several waiters that noticed does it.
bool recover_from(LockWord& lock, int32_t dead) {
  if (!lock.holder.compare_exchange_strong(dead, 0)) return false;
  lock.recoveries.fetch_add(1, std::memory_order_relaxed);
  lock.sem.post();
  return true;
}

}  // namespace

void lock_acquire(LockWord& lock, std::chrono::milliseconds slice) {
  for (;;) {
    if (timed_take(lock, slice)) {
      lock.holder.store(getpid(), std::memory_order_release);
      return;
    }
    int32_t holder = lock.holder.load(std::memory_order_acquire);
    if (holder != 0 && !pid_alive(holder)) recover_from(lock, holder);
  }
}

void lock_release(LockWord& lock) {
  lock.holder.store(0, std::memory_order_release);
  lock.sem.post();
}

bool lock_release_if_held_by(LockWord& lock, pid_t dead) {
  if (dead <= 0 || lock.holder.load(std::memory_order_acquire) != dead) return false;
  return recover_from(lock, dead);
}

}  // namespace backend::shm
