// The API's listening socket, bound by the master so that a bad address is
// reported at start and a restarted listener loses no waiting client.
#pragma once

#include <cstdint>
#include <string>

namespace backend::master {

// Returns the fd (close-on-exec, non-blocking, listening) or -1 with error set.
int bind_listen_socket(const std::string& host, uint16_t port, std::string& error);

}  // namespace backend::master
