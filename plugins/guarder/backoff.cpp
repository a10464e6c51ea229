#include "plugins/guarder/backoff.h"

#include <algorithm>

namespace backend::plugins::guarder {

uint64_t Backoff::on_death(int64_t uptime_s) {
  if (uptime_s >= 0 && uint64_t(uptime_s) >= reset_after_s_) deaths_ = 0;
  uint32_t before = deaths_++;
  if (before == 0) return 0;
  // 2^(before-1), without overflowing long before the cap is reached.
  uint64_t wait = before - 1 >= 32 ? max_s_ : uint64_t(1) << (before - 1);
  return std::min(wait, max_s_);
}

}  // namespace backend::plugins::guarder
