#include "worker/ipc/control.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "worker/ipc/fd_passing.h"
#include "worker/common/log.h"

namespace backend::worker {

std::vector<int> duplicate_fds(const std::vector<int>& fds) {
  std::vector<int> out;
  for (int fd : fds) out.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 3));
  return out;
}

void close_fds(const std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
}

Control::Outgoing::Outgoing(const ControlMessage& message, const std::vector<int>& lent)
    : text(encode(message)), fds(duplicate_fds(lent)) {}

Received receive_control(int socket, ControlMessage& message, std::vector<int>& fds) {
  std::string text;
  long n = recv_with_fds(socket, text, fds);
  if (n == 0) return Received::kNone;
  if (n < 0 || text.empty()) {
    close_fds(fds);
    return Received::kClosed;
  }
  if (auto decoded = decode_control(text)) {
    message = std::move(*decoded);
    return Received::kMessage;
  }
  spdlog::error("control message \"{}\" not understood; dropped", text.substr(0, 200));
  close_fds(fds);
  return Received::kDropped;
}

bool send_queued(int socket, std::deque<Control::Outgoing>& queue) {
  while (!queue.empty()) {
    auto& m = queue.front();
    int err = send_with_fds(socket, m.text, m.fds);
    if (err == EAGAIN) return true;
    if (err) spdlog::error("control message \"{}\" not sent: {}", m.text, std::strerror(err));
    close_fds(m.fds);
    queue.pop_front();
    if (err) return false;
  }
  return true;
}

Control::Control(uv_loop_t* loop, int fd, OnMessage on_message)
    : PolledSocket(loop, fd), on_message_(std::move(on_message)) {
  watch();
}

Control::~Control() {
  for (auto& m : queue_) close_fds(m.fds);
}

void Control::read_all() {
  ControlMessage message;
  std::vector<int> fds;
  for (int i = 0; i < 256; ++i) {
    Received got = receive_control(fd_, message, fds);
    if (got == Received::kNone) return;
    if (got == Received::kClosed) return close();  // the master is gone; its death signal follows
    if (got == Received::kDropped) continue;
    on_message_(message, fds);
    for (int fd : fds)  // whatever the handler did not take
      if (fd >= 0) ::close(fd);
  }
}

void Control::send(const ControlMessage& message, const std::vector<int>& fds) {
  if (!queue_.empty()) send_queued(fd_, queue_);  // what waits goes first
  if (queue_.empty()) {
    // Straight out with the caller's fds: no copies to make and close.
    std::string text = encode(message);
    int err = send_with_fds(fd_, text, fds);
    if (err != EAGAIN) {
      if (err) spdlog::error("control message \"{}\" not sent: {}", text, std::strerror(err));
      return watch();
    }
  }
  queue_.emplace_back(message, fds);
  write_queued();
}

void Control::send_later(const ControlMessage& message) { queue_.emplace_back(message); }

void Control::flush() {
  if (!queue_.empty()) write_queued();
}

void Control::write_queued() {
  send_queued(fd_, queue_);
  watch();
}

}  // namespace backend::worker
