#include "shm/own_pid.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace backend::shm {
namespace {

std::atomic<pid_t> cached{0};

void forget() { cached.store(0, std::memory_order_relaxed); }

}  // namespace

pid_t own_pid() {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, forget); });
  pid_t pid = cached.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = getpid();
    cached.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

}  // namespace backend::shm
