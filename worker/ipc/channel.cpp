#include "worker/ipc/channel.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "worker/common/log.h"

namespace backend::worker {
namespace {

// The request id, then the kind.
constexpr size_t kHeader = 9;
// The kind byte's high bits, for a message in several packets.
constexpr uint8_t kMore = 0x80;       // more packets of this message follow
constexpr uint8_t kContinued = 0x40;  // not the message's first packet
constexpr uint8_t kKindBits = 0x3f;

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
      char head[kHeader];
      ssize_t peeked = recv(fd_, head, sizeof head, MSG_DONTWAIT | MSG_PEEK);
      uint64_t next;
      std::memcpy(&next, head, sizeof next);
      if (peeked == static_cast<ssize_t>(sizeof head) && !(head[8] & kContinued)) on_taking_(next);
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
    const auto flags = static_cast<uint8_t>(buf_[8]);
    const auto kind = static_cast<ChannelKind>(flags & kKindBits);
    const std::string_view body(buf_.get() + kHeader, static_cast<size_t>(n) - kHeader);
    if (!(flags & (kMore | kContinued))) {
      drop_partial("a new message came before its end");
      on_message_(kind, id, body);
    } else if (!(flags & kContinued)) {  // the first of several
      drop_partial("a new message came before its end");
      partial_.assign(body);
      partial_id_ = id, partial_kind_ = kind, in_partial_ = true;
    } else if (!in_partial_ || partial_id_ != id) {
      // Its start went to a predecessor that died: the rest is of no use.
      spdlog::warn("channel: a piece of message {} without its start dropped", id);
    } else if (partial_.size() + body.size() > kMaxMessage) {
      drop_partial("longer than kMaxMessage, 256 MiB");
    } else {
      partial_.append(body);
      if (!(flags & kMore)) {
        in_partial_ = false;
        std::string whole = std::exchange(partial_, std::string());
        on_message_(partial_kind_, id, whole);
      }
    }
  }
}

// A sender that dies between two packets of a message leaves its start
// here: the next message says it will never be whole.
void Channel::drop_partial(std::string_view why) {
  if (!in_partial_) return;
  spdlog::error("channel: message {} of {} bytes so far dropped: {}", partial_id_, partial_.size(), why);
  in_partial_ = false;
  partial_ = std::string();
}

void Channel::send(ChannelKind kind, uint64_t id, std::string_view payload) {
  const bool idle = queue_.empty();  // else the socket is already watched for room
  size_t at = 0;
  do {
    const size_t n = std::min(payload.size() - at, kMaxPayload);
    const uint8_t flags = (at > 0 ? kContinued : 0) | (at + n < payload.size() ? kMore : 0);
    std::string msg(kHeader + n, '\0');
    std::memcpy(msg.data(), &id, 8);
    msg[8] = static_cast<char>(static_cast<uint8_t>(kind) | flags);
    if (n > 0) std::memcpy(msg.data() + kHeader, payload.data() + at, n);
    queue_.push_back(std::move(msg));
    at += n;
  } while (at < payload.size());
  if (idle) write_queued();
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
