#include "worker/ipc/channel.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "worker/common/log.h"

namespace backend::worker {
namespace {

// The request id, then the kind.
constexpr size_t kHeader = 9;

}  // namespace

void size_channel_socket(int fd) {
  int size = 4 * static_cast<int>(Channel::kMaxPayload);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

Channel::Channel(uv_loop_t* loop, int fd, OnMessage on_message, OnTaking on_taking)
    : PolledSocket(loop, fd), on_message_(std::move(on_message)), on_taking_(std::move(on_taking)) {
  watch();
}

void Channel::read_all() {
  // Bounded, so that a flood from the peer cannot starve the rest of the loop.
  for (int i = 0; i < 256; ++i) {
    if (on_taking_) {
      uint64_t next;
      ssize_t peeked = recv(fd_, &next, sizeof next, MSG_DONTWAIT | MSG_PEEK);
      if (peeked == static_cast<ssize_t>(sizeof next)) on_taking_(next);
    }
    ssize_t n = recv(fd_, buf_.get(), kBufBytes, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) spdlog::error("channel recv failed: {}", std::strerror(errno));
      return;
    }
    if (n == 0) return;  // the master holds both ends: this never means "gone"
    if (static_cast<size_t>(n) > kBufBytes || n < static_cast<ssize_t>(kHeader)) {
      spdlog::error("channel message of {} bytes dropped", n);
      continue;
    }
    uint64_t id;
    std::memcpy(&id, buf_.get(), 8);
    auto kind = static_cast<ChannelKind>(buf_[8]);
    on_message_(kind, id, std::string_view(buf_.get() + kHeader, static_cast<size_t>(n) - kHeader));
  }
}

void Channel::send(ChannelKind kind, uint64_t id, std::string_view payload) {
  std::string msg(kHeader + payload.size(), '\0');
  std::memcpy(msg.data(), &id, 8);
  msg[8] = static_cast<char>(kind);
  if (!payload.empty()) std::memcpy(msg.data() + kHeader, payload.data(), payload.size());
  queue_.push_back(std::move(msg));
  if (queue_.size() == 1) write_queued();
}

void Channel::write_queued() {
  while (!queue_.empty()) {
    const std::string& msg = queue_.front();
    ssize_t n = ::send(fd_, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    // Out of socket memory is as passing as a full socket: try again later
    // rather than drop a request or a reply.
    if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOBUFS || errno == ENOMEM)) break;
    if (n < 0) spdlog::error("channel send of {} bytes failed: {}", msg.size(), std::strerror(errno));
    queue_.pop_front();
  }
  watch();
}

}  // namespace backend::worker
