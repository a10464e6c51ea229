// Unix time in milliseconds, from the wall clock: what schedules (the
// scheduler's conditions, the cluster's ticks) fall due by.
#pragma once

#include <chrono>
#include <cstdint>

namespace backend::plugins {

inline int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace backend::plugins
