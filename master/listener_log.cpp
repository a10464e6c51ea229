#include "master/listener_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "worker/common/server_log.h"

namespace backend::master {
namespace {

// Per loop turn: a listener that logs without pause must not keep the
// master from its signals.
constexpr int kReadsPerTurn = 16;

}  // namespace

int ListenerLog::open(std::string& error) {
  drain();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = std::string("cannot create the listener's log pipe: ") + std::strerror(errno);
    return -1;
  }
  // Only the master's end is non-blocking: the listener writes from a
  // thread of its own, which may wait for the master.
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  read_fd_ = fds[0];
  return fds[1];
}

// False once nothing more can be read now.
bool ListenerLog::read_once() {
  if (read_fd_ < 0) return false;
  char buf[64 * 1024];
  ssize_t n = read(read_fd_, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return true;
  if (n > 0) {
    reader_.feed(std::string_view(buf, static_cast<size_t>(n)),
                 [](std::string_view hour, std::string_view text) { worker::log_append_relayed(hour, text); });
    return true;
  }
  if (n == 0 || errno != EAGAIN) close();
  return false;
}

bool ListenerLog::read_available() {
  for (int i = 0; i < kReadsPerTurn; ++i)
    if (!read_once()) return true;
  return false;
}

void ListenerLog::drain() {
  while (read_once()) {
  }
  close();
}

void ListenerLog::close() {
  if (read_fd_ >= 0) ::close(read_fd_);
  read_fd_ = -1;
  reader_ = worker::RelayReader();
}

}  // namespace backend::master
