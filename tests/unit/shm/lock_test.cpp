#include "shm/lock.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <new>

namespace backend::shm {
namespace {

// A lock in memory shared with forked children, as in the real segment.
struct SharedLock {
  SharedLock() {
    mem = mmap(nullptr, sizeof(LockWord), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    lock = new (mem) LockWord{};
  }
  ~SharedLock() { munmap(mem, sizeof(LockWord)); }
  void* mem;
  LockWord* lock;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(Lock, RecordsTheHolderAndLetsGo) {
  SharedLock s;
  lock_acquire(*s.lock);
  EXPECT_EQ(s.lock->holder.load(), getpid());
  lock_release(*s.lock);
  EXPECT_EQ(s.lock->holder.load(), 0);
  LockGuard g(*s.lock);
  EXPECT_EQ(s.lock->holder.load(), getpid());
}

TEST(Lock, AHolderKilledWhileHoldingDoesNotWedgeTheOthers) {
  SharedLock s;
  pid_t child = fork();
  if (child == 0) {
    lock_acquire(*s.lock);
    pause();  // dies holding it
    _exit(0);
  }
  while (s.lock->holder.load() != child) usleep(1000);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto t0 = std::chrono::steady_clock::now();
  lock_acquire(*s.lock);
  EXPECT_LT(seconds_since(t0), 1.0);
  EXPECT_EQ(s.lock->holder.load(), getpid());
  EXPECT_EQ(s.lock->recoveries.load(), 1u);
  lock_release(*s.lock);
}

TEST(Lock, ALiveHolderIsWaitedFor) {
  SharedLock s;
  pid_t child = fork();
  if (child == 0) {
    lock_acquire(*s.lock);
    usleep(300 * 1000);
    lock_release(*s.lock);
    _exit(0);
  }
  while (s.lock->holder.load() != child) usleep(1000);
  auto t0 = std::chrono::steady_clock::now();
  lock_acquire(*s.lock);
  EXPECT_GT(seconds_since(t0), 0.2);  // it waited, it did not steal
  EXPECT_EQ(s.lock->recoveries.load(), 0u);
  lock_release(*s.lock);
  waitpid(child, nullptr, 0);
}

TEST(Lock, TheMasterFreesALockOfAReapedWorker) {
  SharedLock s;
  pid_t child = fork();
  if (child == 0) {
    lock_acquire(*s.lock);
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(lock_release_if_held_by(*s.lock, child + 1));
  EXPECT_EQ(s.lock->holder.load(), child);
  EXPECT_TRUE(lock_release_if_held_by(*s.lock, child));
  EXPECT_EQ(s.lock->holder.load(), 0);
  EXPECT_FALSE(lock_release_if_held_by(*s.lock, child));  // once only
  auto t0 = std::chrono::steady_clock::now();
  lock_acquire(*s.lock);
  EXPECT_LT(seconds_since(t0), 0.05);
  lock_release(*s.lock);
}

// A holder killed at any instant after it took the lock is found: the pid
// is the lock, so there is no moment when it is held by nobody known.
TEST(Lock, HoldersKilledAtRandomMomentsNeverWedgeIt) {
  SharedLock s;
  for (int round = 0; round < 30; ++round) {
    pid_t child = fork();
    if (child == 0) {
      for (;;) {
        lock_acquire(*s.lock);
        lock_release(*s.lock);
      }
    }
    usleep(static_cast<useconds_t>(500 + round * 97 % 3000));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    auto t0 = std::chrono::steady_clock::now();
    lock_acquire(*s.lock);
    ASSERT_LT(seconds_since(t0), 1.0) << "round " << round;
    lock_release(*s.lock);
  }
}

TEST(Lock, MutualExclusionAcrossProcesses) {
  SharedLock s;
  auto* counter = static_cast<long*>(mmap(nullptr, sizeof(long), PROT_READ | PROT_WRITE,
                                          MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  *counter = 0;
  constexpr int kProcs = 4, kRounds = 20000;
  for (int p = 0; p < kProcs; ++p)
    if (fork() == 0) {
      for (int i = 0; i < kRounds; ++i) {
        LockGuard g(*s.lock);
        long v = *counter;  // a non-atomic read-modify-write: only the lock keeps it right
        *counter = v + 1;
      }
      _exit(0);
    }
  for (int p = 0; p < kProcs; ++p) wait(nullptr);
  EXPECT_EQ(*counter, long(kProcs) * kRounds);
  munmap(counter, sizeof(long));
}

}  // namespace
}  // namespace backend::shm
