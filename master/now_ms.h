// Milliseconds on the monotonic clock: deadlines of the master's loop.
#pragma once

#include <time.h>

#include <cstdint>

namespace backend::master {

inline int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace backend::master
