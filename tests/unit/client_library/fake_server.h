// A scripted stand-in for backend-server: listens on a free loopback port
// and runs a test's script for each connection it accepts, in its own
// thread. Scripts read requests and write whatever bytes the test wants
// (split, oversized, truncated, or none at all); whole replies are framed
// with the server's codec, protocol::encode_frame.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "protocol/frame.h"

namespace backend::client::testing {

// One accepted connection, as a script sees it.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  // The next request's payload ("COMMAND {json}"); empty when the client
  // closed or nothing came within 5 s.
  std::string read_request() {
    char head[protocol::kFrameHeaderSize];
    if (!read_exact(head, sizeof head)) return {};
    std::string payload(*protocol::frame_length(std::string_view(head, sizeof head)), '\0');
    if (!read_exact(payload.data(), payload.size())) return {};
    return payload;
  }
  void write(const std::string& bytes) { (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Each byte in its own segment, with a pause between: the client's reads
  // see the frame cut at every position.
  void write_bytewise(const std::string& bytes) {
    for (char c : bytes) {
      (void)!::send(fd_, &c, 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  // True when the client closed its end within the timeout.
  bool client_closed(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool read_exact(char* out, size_t n) {
    size_t have = 0;
    while (have < n) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 5000) <= 0) return false;
      ssize_t r = ::recv(fd_, out + have, n - have, 0);
      if (r <= 0) return false;
      have += static_cast<size_t>(r);
    }
    return true;
  }
  int fd_;
};

class FakeServer {
 public:
  // script(peer, connection_number) runs for each accepted connection; the
  // connection is closed when it returns.
  using Script = std::function<void(Peer&, int)>;

  explicit FakeServer(Script script) : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(listen_fd_, 16);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : peers_) t.join();
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  int connections() const { return accepted_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int number = accepted_++;
      peers_.emplace_back([this, fd, number] {
        Peer peer(fd);
        script_(peer, number);
        ::close(fd);
      });
    }
  }

  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> peers_;
};

}  // namespace backend::client::testing
