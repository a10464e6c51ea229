// "SIGKILL" for 9; real-time signals, which have no abbreviation, as
// "SIG" and their number.
#pragma once

#include <string.h>

#include <string>

namespace backend::worker {

inline std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return "SIG" + (abbrev ? std::string(abbrev) : std::to_string(sig));
}

}  // namespace backend::worker
