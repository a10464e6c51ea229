#include "worker/ipc/polled_socket.h"

#include "worker/common/log.h"

namespace backend::worker {

PolledSocket::PolledSocket(uv_loop_t* loop, int fd) : fd_(fd), poll_(new uv_poll_t) {
  uv_poll_init(loop, poll_, fd_);
  poll_->data = this;
}

PolledSocket::~PolledSocket() { close(); }

void PolledSocket::close() {
  if (!poll_) return;
  poll_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
}

void PolledSocket::watch() {
  int events = UV_READABLE | (has_queued() ? UV_WRITABLE : 0);
  if (!poll_ || events == events_) return;
  events_ = events;
  uv_poll_start(poll_, events, on_poll);
}

void PolledSocket::on_poll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<PolledSocket*>(handle->data);
  if (!self) return;
  if (status < 0) {
    // libuv reports EPOLLERR (the peer gone with our message unread: a
    // reset) as UV_EBADF, and has stopped the poll. The read sees the
    // socket's error and closes, as on any closed peer, rather than leave
    // the socket watched by nothing.
    spdlog::info("poll of fd {}: {}; reading what the socket says", self->fd_, uv_strerror(status));
    self->read_all();
    return;
  }
  if (events & UV_WRITABLE) self->write_queued();
  if (events & UV_READABLE) self->read_all();
}

}  // namespace backend::worker
