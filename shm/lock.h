// Interprocess locks that survive a holder killed while holding them.
#pragma once

#include <chrono>
#include <sys/types.h>

#include "shm/layout.h"

namespace backend::shm {

// Takes the lock. Sleeps on the semaphore in slices of `slice`, checking
// between them whether the holder still lives, so a killed holder delays
// the others by about one slice.
void lock_acquire(LockWord& lock, std::chrono::milliseconds slice = std::chrono::milliseconds(100));
void lock_release(LockWord& lock);

// For the master after it reaped `dead`: frees the lock if that pid held it.
bool lock_release_if_held_by(LockWord& lock, pid_t dead);

class LockGuard {
 public:
  explicit LockGuard(LockWord& lock) : lock_(lock) { lock_acquire(lock_); }
  ~LockGuard() { lock_release(lock_); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  LockWord& lock_;
};

bool pid_alive(pid_t pid);

}  // namespace backend::shm
