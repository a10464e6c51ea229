// The API's listening socket, bound by the master so that a bad address is
// reported at start and a restarted listener loses no waiting client.
#pragma once

#include <cstdint>
#include <string>

#include <sys/types.h>

namespace backend::master {

// Returns the fd (close-on-exec, non-blocking, listening) or -1 with error set.
int bind_listen_socket(const std::string& host, uint16_t port, std::string& error);

// The Unix socket at path, made with the given mode and owner (-1: keep)
// and listening; a leftover socket nobody listens on is replaced, anything
// else there is left alone and reported. Returns the fd (close-on-exec,
// non-blocking) or -1 with error set.
int bind_unix_socket(const std::string& path, unsigned mode, uid_t owner, gid_t group, std::string& error);

}  // namespace backend::master
