// Why a run began, by name: STATUS's history and /metrics' reason label say
// it the same way.
#pragma once

#include <string_view>

#include "shm/layout.h"

namespace backend::worker {

inline std::string_view start_reason_name(shm::StartReason reason) {
  switch (reason) {
    case shm::StartReason::kManual: return "manual";
    case shm::StartReason::kCrash: return "crash";
    case shm::StartReason::kScheduler: return "scheduler";
    case shm::StartReason::kAutostart: return "autostart";
  }
  return "manual";
}

}  // namespace backend::worker
