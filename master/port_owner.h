// Who holds a TCP port, so that "address in use" can name the process.
#pragma once

#include <cstdint>
#include <optional>
#include <sys/types.h>

namespace backend::master {

// The lowest pid with a socket listening on `port` (from /proc/net/tcp*
// and /proc/*/fd); nullopt when it cannot be seen.
std::optional<pid_t> port_owner(uint16_t port);

}  // namespace backend::master
