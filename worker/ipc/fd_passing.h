// Messages with file descriptors attached (SCM_RIGHTS) on a SEQPACKET
// socket: how the supervisor lends the master each job's pipes, and takes
// them back after a crash.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace backend::worker {

constexpr size_t kMaxPassedFds = 4;

// Non-blocking. Returns 0, or the errno (EAGAIN: try again later).
int send_with_fds(int socket, std::string_view text, const std::vector<int>& fds);
// Non-blocking. Received fds are close-on-exec from birth. Returns the
// message size, 0 when nothing is waiting, -1 on error.
long recv_with_fds(int socket, std::string& text, std::vector<int>& fds);

}  // namespace backend::worker
