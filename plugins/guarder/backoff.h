// How long the guarder waits before starting a job that keeps dying: at once
// the first time, then 1 s, 2 s, 4 s ... up to a cap; a run that stayed up
// long enough starts the count again.
#pragma once

#include <cstdint>

namespace backend::plugins::guarder {

class Backoff {
 public:
  Backoff(uint64_t max_s, uint64_t reset_after_s) : max_s_(max_s), reset_after_s_(reset_after_s) {}
  void set_limits(uint64_t max_s, uint64_t reset_after_s) {
    max_s_ = max_s;
    reset_after_s_ = reset_after_s;
  }
  // Seconds to wait after a run that lasted uptime_s died.
  uint64_t on_death(int64_t uptime_s);
  // The start was refused (program gone...): wait as if it had died at once.
  uint64_t on_failed_start() { return on_death(0); }
  void reset() { deaths_ = 0; }
  uint32_t deaths() const { return deaths_; }

 private:
  uint64_t max_s_;
  uint64_t reset_after_s_;
  uint32_t deaths_ = 0;  // in a row, each shorter than reset_after_s_
};

}  // namespace backend::plugins::guarder
