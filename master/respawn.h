// When to start a worker again after it died: at once after a long life,
// with a growing delay while it keeps dying young.
#pragma once

#include <algorithm>
#include <cstdint>

namespace backend::master {

class Respawn {
 public:
  static constexpr int64_t kStableMs = 5000;  // a life this long resets the backoff
  static constexpr int64_t kFirstDelayMs = 100;
  static constexpr int64_t kMaxDelayMs = 10000;

  // Records a death after `lived_ms` and returns the delay before the next start.
  int64_t on_death(int64_t lived_ms) {
    if (lived_ms >= kStableMs) quick_deaths_ = 0;
    int64_t delay = quick_deaths_ == 0 ? 0 : std::min(kMaxDelayMs, kFirstDelayMs << std::min(quick_deaths_ - 1, 16));
    ++quick_deaths_;
    return delay;
  }

 private:
  int quick_deaths_ = 0;
};

}  // namespace backend::master
