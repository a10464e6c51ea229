#include "worker/control.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "worker/fd_passing.h"

namespace backend::worker {

std::vector<int> duplicate_fds(const std::vector<int>& fds) {
  std::vector<int> out;
  for (int fd : fds) out.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 3));
  return out;
}

bool send_queued(int socket, std::deque<Control::Outgoing>& queue) {
  while (!queue.empty()) {
    auto& m = queue.front();
    int err = send_with_fds(socket, m.text, m.fds);
    if (err == EAGAIN) return true;
    if (err) spdlog::error("control message \"{}\" not sent: {}", m.text, std::strerror(err));
    for (int fd : m.fds) ::close(fd);
    queue.pop_front();
    if (err) return false;
  }
  return true;
}

Control::Control(uv_loop_t* loop, int fd, OnMessage on_message)
    : fd_(fd), on_message_(std::move(on_message)), poll_(new uv_poll_t) {
  uv_poll_init(loop, poll_, fd_);
  poll_->data = this;
  watch();
}

Control::~Control() {
  close();
  for (auto& m : queue_)
    for (int fd : m.fds) ::close(fd);
}

void Control::close() {
  if (!poll_) return;
  poll_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
}

void Control::watch() {
  if (poll_) uv_poll_start(poll_, UV_READABLE | (queue_.empty() ? 0 : UV_WRITABLE), on_poll);
}

void Control::on_poll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<Control*>(handle->data);
  if (!self || status < 0) return;
  if (events & UV_WRITABLE) self->write_queued();
  if (events & UV_READABLE) self->read_all();
}

void Control::read_all() {
  std::string text;
  std::vector<int> fds;
  for (int i = 0; i < 256; ++i) {
    long n = recv_with_fds(fd_, text, fds);
    if (n <= 0) return;
    on_message_(text, fds);
    for (int fd : fds)  // whatever the handler did not take
      if (fd >= 0) ::close(fd);
  }
}

void Control::send(std::string text, const std::vector<int>& fds) {
  queue_.push_back({std::move(text), duplicate_fds(fds)});
  if (queue_.size() == 1) write_queued();
}

void Control::write_queued() {
  send_queued(fd_, queue_);
  watch();
}

}  // namespace backend::worker
