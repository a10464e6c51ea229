#include "shm/lock.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <signal.h>
#include <unistd.h>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/exceptions.hpp>

#include "shm/own_pid.h"

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
// turns that EINTR into an exception: it is just an early wake-up.
void sleep_on(LockWord& lock, std::chrono::milliseconds slice) {
  using namespace boost::posix_time;
  try {
    lock.sem.timed_wait(microsec_clock::universal_time() + milliseconds(slice.count()));
  } catch (const boost::interprocess::interprocess_exception&) {
  }
}

void wake_one(LockWord& lock) {
  if (lock.waiters.load(std::memory_order_acquire) > 0) lock.sem.post();
}

// Takes the lock over from a dead holder. The compare-exchange makes sure
// only one of several waiters that noticed does it.
bool take_over_from(LockWord& lock, int32_t dead, int32_t next) {
  if (!lock.holder.compare_exchange_strong(dead, next)) return false;
  lock.recoveries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace

void lock_acquire(LockWord& lock, std::chrono::milliseconds slice) {
  const int32_t me = own_pid();
  int32_t expected = 0;
  if (lock.holder.compare_exchange_strong(expected, me, std::memory_order_acquire)) return;
  lock.waiters.fetch_add(1, std::memory_order_acq_rel);
  for (;;) {
    expected = 0;
    // Tried again after counting ourselves a waiter: a release in between
    // either left the lock free or posted the semaphore for us.
    if (lock.holder.compare_exchange_strong(expected, me, std::memory_order_acquire)) break;
    if (expected != 0 && !pid_alive(expected) && take_over_from(lock, expected, me)) break;
    sleep_on(lock, slice);
  }
  lock.waiters.fetch_sub(1, std::memory_order_acq_rel);
}

void lock_release(LockWord& lock) {
  lock.holder.store(0, std::memory_order_release);
  wake_one(lock);
}

bool lock_release_if_held_by(LockWord& lock, pid_t dead) {
  if (dead <= 0 || !take_over_from(lock, dead, 0)) return false;
  wake_one(lock);
  return true;
}

}  // namespace backend::shm
