// Sequence counters: one writer at a time (under a lock), readers never block it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace backend::shm {

// Runs write() with seq odd, so readers know to retry.
template <class F>
void seq_write(std::atomic<uint32_t>& seq, F&& write) {
  uint32_t s = seq.load(std::memory_order_relaxed);
  seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  write();
  seq.store(s + 2, std::memory_order_release);
}

// Runs read() until it saw a consistent snapshot. read() must only copy.
// Gives up (false) after about `patience`: a writer that died mid-write
// leaves seq odd until the master repairs it, and a reader must not hang.
template <class F>
bool seq_read(const std::atomic<uint32_t>& seq, F&& read,
              std::chrono::milliseconds patience = std::chrono::milliseconds(1000)) {
  auto deadline = std::chrono::steady_clock::time_point{};
  for (unsigned spins = 0;; ++spins) {
    uint32_t before = seq.load(std::memory_order_acquire);
    if ((before & 1) == 0) {
      read();
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq.load(std::memory_order_relaxed) == before) return true;
    }
    if (spins < 64) continue;
    auto now = std::chrono::steady_clock::now();
    if (deadline == decltype(deadline){}) deadline = now + patience;
    if (now > deadline) return false;
    std::this_thread::yield();
  }
}

// Makes a counter left odd by a dead writer even again (master only).
inline bool seq_repair(std::atomic<uint32_t>& seq) {
  uint32_t s = seq.load(std::memory_order_acquire);
  if ((s & 1) == 0) return false;
  seq.store(s + 1, std::memory_order_release);
  return true;
}

}  // namespace backend::shm
