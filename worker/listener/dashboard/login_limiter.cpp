#include "worker/listener/dashboard/login_limiter.h"

namespace backend::worker::dashboard {

uint64_t LoginLimiter::wait_ms(const std::string& address, uint64_t now_ms) {
  forget_old(now_ms);
  auto it = failures_.find(address);
  if (it == failures_.end()) return 0;
  auto& times = it->second;
  while (!times.empty() && now_ms - times.front() >= kWindowMs) times.pop_front();
  if (times.size() < kMaxFailures) return 0;
  return kWindowMs - (now_ms - times.front());
}

void LoginLimiter::failed(const std::string& address, uint64_t now_ms) {
  auto& times = failures_[address];
  times.push_back(now_ms);
  while (times.size() > kMaxFailures) times.pop_front();
}

// Addresses whose failures are all a window old are forgotten, once a
// window, so that a scan from many addresses cannot grow the table for good.
void LoginLimiter::forget_old(uint64_t now_ms) {
  if (now_ms - last_sweep_ms_ < kWindowMs) return;
  last_sweep_ms_ = now_ms;
  std::erase_if(failures_, [&](const auto& kv) { return kv.second.empty() || now_ms - kv.second.back() >= kWindowMs; });
}

}  // namespace backend::worker::dashboard
