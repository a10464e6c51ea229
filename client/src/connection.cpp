#include "connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "protocol/frame.h"

namespace backend::client {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : left > 60 * 60 * 1000 ? 60 * 60 * 1000 : static_cast<int>(left);
}

std::string where(const Options& o) { return o.host + ":" + std::to_string(o.port); }

// Non-blocking connect to one address, finished within the deadline.
int connect_one(const addrinfo* ai, Clock::time_point deadline, std::string& error) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (r < 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int n;
    do n = poll(&p, 1, ms_left(deadline));
    while (n < 0 && errno == EINTR);
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (n == 0) {
      error = "timed out";
    } else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0) {
      error = std::strerror(errno);
    } else if (so_error != 0) {
      error = std::strerror(so_error);
    } else {
      r = 0;
    }
  } else if (r < 0) {
    error = std::strerror(errno);
  }
  if (r < 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // a request is one write
  return fd;
}

}  // namespace

Backend::Connection::~Connection() { ::close(fd_); }

std::unique_ptr<Backend::Connection> Backend::Connection::open(const Options& o, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int gai = getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &list);
  if (gai != 0) {
    error = "cannot resolve " + o.host + ": " + gai_strerror(gai);
    return nullptr;
  }
  auto deadline = Clock::now() + o.connect_timeout;
  std::string why = "no address";
  int fd = -1;
  for (addrinfo* ai = list; ai && fd < 0; ai = ai->ai_next) fd = connect_one(ai, deadline, why);
  freeaddrinfo(list);
  if (fd < 0) {
    error = "cannot connect to " + where(o) + ": " + why;
    return nullptr;
  }
  return std::unique_ptr<Connection>(new Connection(fd));
}

bool Backend::Connection::usable() const {
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) == 0) return true;
  // Readable between calls: the server closed (or broke the protocol).
  return false;
}

bool Backend::Connection::wait_for(short events, Clock::time_point deadline) {
  pollfd p{fd_, events, 0};
  for (;;) {
    int n = poll(&p, 1, ms_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool Backend::Connection::send_all(std::string_view bytes, Clock::time_point deadline, std::string& error) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(POLLOUT, deadline)) {
        error = "timed out sending the request";
        return false;
      }
    } else {
      error = std::string("sending the request failed: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

bool Backend::Connection::recv_exact(char* out, size_t n, Clock::time_point deadline, std::string& error,
                                     size_t& got) {
  size_t have = 0;
  while (have < n) {
    ssize_t r = ::recv(fd_, out + have, n - have, 0);
    if (r > 0) {
      have += static_cast<size_t>(r);
      got += static_cast<size_t>(r);
    } else if (r == 0) {
      error = "the server closed the connection";
      return false;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(POLLIN, deadline)) {
        error = "timed out waiting for the reply";
        return false;
      }
    } else {
      error = std::string("reading the reply failed: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

std::optional<std::string> Backend::Connection::exchange(std::string_view payload, const Options& o,
                                                         std::string& error, bool& reply_started) {
  reply_started = false;
  // Nothing throws here: a request no length can announce is an error.
  if (payload.size() > UINT32_MAX) {
    error = "the request of " + std::to_string(payload.size()) + " bytes is over the 4 GiB a frame can carry";
    return std::nullopt;
  }
  auto deadline = Clock::now() + o.call_timeout;
  if (!send_all(protocol::encode_frame(payload), deadline, error)) return std::nullopt;

  char head[protocol::kFrameHeaderSize];
  size_t got = 0;
  bool whole = recv_exact(head, sizeof head, deadline, error, got);
  reply_started = got > 0;
  if (!whole) {
    if (got > 0) error += " (after " + std::to_string(got) + " of the 4 bytes of the reply's length)";
    return std::nullopt;
  }
  uint32_t size = *protocol::frame_length(std::string_view(head, sizeof head));
  if (size > o.max_reply_bytes) {
    error = "the reply of " + std::to_string(size) + " bytes is over the limit of " +
            std::to_string(o.max_reply_bytes) + " bytes";
    return std::nullopt;
  }
  std::string reply(size, '\0');
  got = 0;
  if (!recv_exact(reply.data(), size, deadline, error, got)) {
    error += " (after " + std::to_string(got) + " of " + std::to_string(size) + " bytes of the reply)";
    return std::nullopt;
  }
  return reply;
}

}  // namespace backend::client
