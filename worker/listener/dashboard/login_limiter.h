// Failed logins per client address: after kMaxFailures within kWindowMs an
// address is refused until the oldest of them is a window old, so that a
// password cannot be guessed at the rate the listener answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

namespace backend::worker::dashboard {

class LoginLimiter {
 public:
  static constexpr size_t kMaxFailures = 5;
  static constexpr uint64_t kWindowMs = 60 * 1000;

  // 0 when the address may try now, else the milliseconds it must wait.
  uint64_t wait_ms(const std::string& address, uint64_t now_ms);
  void failed(const std::string& address, uint64_t now_ms);
  void succeeded(const std::string& address) { failures_.erase(address); }
  size_t addresses() const { return failures_.size(); }

 private:
  void forget_old(uint64_t now_ms);

  std::unordered_map<std::string, std::deque<uint64_t>> failures_;
  uint64_t last_sweep_ms_ = 0;
};

}  // namespace backend::worker::dashboard
