// Signal names, one form everywhere: logs ("killed by signal SIGKILL"),
// replies (STATUS's last exit), backend-shm and the stopsignal setting.
// Header-only, so that backend-shm, which links no worker code, shares it.
#pragma once

#include <signal.h>
#include <string.h>

#include <string>

namespace backend::worker {

// "SIGKILL" for 9; real-time signals, which have no abbreviation, as "SIG"
// and their number ("SIG34").
inline std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return "SIG" + (abbrev ? std::string(abbrev) : std::to_string(sig));
}

// "TERM" or "SIGTERM" to its number; 0 when it names no signal.
inline int signal_number(const std::string& name) {
  std::string n = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  for (int s = 1; s < NSIG; ++s)
    if (const char* abbrev = sigabbrev_np(s); abbrev && n == abbrev) return s;
  return 0;
}

}  // namespace backend::worker
