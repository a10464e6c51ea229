#include "tests/support/tcp_proxy.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {

namespace {

// Per direction: past this the proxy stops reading, so a slow reader slows
// the writer (as TCP would) instead of growing our memory.
constexpr size_t kMaxBuffered = 1 << 20;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void set_nodelay(int fd) {
  // Small HTTP/2 and gRPC frames would otherwise wait for Nagle.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A close that sends RST, so the peer sees the error the other side had.
void close_with_reset(int fd) {
  if (fd < 0) return;
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

enum class Io { kOk, kEof, kError };

// Reads what is there (up to the buffer limit) into `into`.
Io read_some(int fd, std::string& into) {
  char buf[65536];
  while (into.size() < kMaxBuffered) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return Io::kEof;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Io::kOk : Io::kError;
  }
  return Io::kOk;
}

// Writes what the socket takes from `from`.
Io write_some(int fd, std::string& from) {
  while (!from.empty()) {
    ssize_t n = send(fd, from.data(), from.size(), MSG_NOSIGNAL);
    if (n > 0) {
      from.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Io::kOk : Io::kError;
  }
  return Io::kOk;
}

}  // namespace

struct TcpProxy::Conn {
  int client = -1;
  int upstream = -1;
  bool connecting = true;  // upstream's nonblocking connect not done yet
  std::string to_upstream, to_client;
  bool client_eof = false, upstream_eof = false;    // their FIN was read
  bool client_shut = false, upstream_shut = false;  // we passed a FIN on to them
  bool dead = false;
  size_t client_slot = 0, upstream_slot = 0;  // in the pollfd array; 0 when not polled

  short client_events() const {
    short e = 0;
    if (!client_eof && to_upstream.size() < kMaxBuffered) e |= POLLIN;
    if (!to_client.empty()) e |= POLLOUT;
    return e;
  }
  short upstream_events() const {
    if (connecting) return POLLOUT;
    short e = 0;
    if (!upstream_eof && to_client.size() < kMaxBuffered) e |= POLLIN;
    if (!to_upstream.empty()) e |= POLLOUT;
    return e;
  }
  void abort() {
    close_with_reset(client);
    close_with_reset(upstream);
    client = upstream = -1;
    dead = true;
  }
  // Moves bytes and FINs along after the poll said something happened.
  void step(short client_revents, short upstream_revents) {
    if ((client_revents | upstream_revents) & POLLERR) return abort();
    if (connecting && upstream_revents) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(upstream, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return abort();  // the target refuses: so does the proxy
      connecting = false;
    }
    if (client_revents & (POLLIN | POLLHUP)) {
      Io r = read_some(client, to_upstream);
      if (r == Io::kError) return abort();
      if (r == Io::kEof) client_eof = true;
    }
    if (!connecting && (upstream_revents & (POLLIN | POLLHUP))) {
      Io r = read_some(upstream, to_client);
      if (r == Io::kError) return abort();
      if (r == Io::kEof) upstream_eof = true;
    }
    // Written at once rather than on the next POLLOUT: one wakeup per hop.
    if (!connecting && write_some(upstream, to_upstream) == Io::kError) return abort();
    if (write_some(client, to_client) == Io::kError) return abort();
    if (client_eof && !connecting && to_upstream.empty() && !upstream_shut) {
      shutdown(upstream, SHUT_WR);
      upstream_shut = true;
    }
    if (upstream_eof && to_client.empty() && !client_shut) {
      shutdown(client, SHUT_WR);
      client_shut = true;
    }
    if (client_shut && upstream_shut) {
      close(client);
      close(upstream);
      client = upstream = -1;
      dead = true;
    }
  }
};

TcpProxy::TcpProxy(uint16_t target_port, uint16_t listen_port) : target_port_(target_port) {
  int bind_errno = 0;
  for (int attempt = 0; attempt < (listen_port ? 1 : 20) && listen_fd_ < 0; ++attempt) {
    uint16_t port = listen_port ? listen_port : pick_free_port();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    // A proxy put back on the port of one just gone finds its closed
    // connections in TIME_WAIT there.
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr = loopback(port);
    // Bound at once and kept: another test that picks the same port fails
    // its bind instead of sharing it (pick_free_port only probes).
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(fd, 128) == 0) {
      listen_fd_ = fd;
      port_ = port;
    } else {
      bind_errno = errno;
      close(fd);
    }
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (listen_fd_ < 0 || wake_fd_ < 0) {
    ADD_FAILURE() << "TcpProxy: cannot listen on " << (listen_port ? std::to_string(listen_port) : "a free port")
                  << " (" << std::strerror(listen_fd_ < 0 ? bind_errno : errno) << ")";
    return;
  }
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void TcpProxy::pause() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    paused_ = true;
  }
  sync();
}

void TcpProxy::resume() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    paused_ = false;
  }
  sync();
}

bool TcpProxy::paused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paused_;
}

void TcpProxy::reset_connections() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    reset_ = true;
  }
  sync();
}

uint64_t TcpProxy::accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

int TcpProxy::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

void TcpProxy::sync() {
  if (!thread_.joinable()) return;
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t want = ++requested_;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  // The thread answers within one poll round; 5 s means it is stuck.
  if (!cv_.wait_for(lock, std::chrono::seconds(5), [&] { return applied_ >= want; }))
    ADD_FAILURE() << "TcpProxy: the proxy thread did not take the change within 5 s";
}

void TcpProxy::run() {
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<pollfd> fds;
  for (;;) {
    bool paused, stop, reset;
    uint64_t requested;
    {
      std::lock_guard<std::mutex> lock(mu_);
      paused = paused_;
      stop = stop_;
      reset = reset_;
      reset_ = false;
      requested = requested_;
    }
    if (reset || stop) {
      for (auto& c : conns) c->abort();
      conns.clear();
    }
    if (stop) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      applied_ = requested;
      open_ = static_cast<int>(conns.size());
    }
    cv_.notify_all();

    // Paused, only the wake fd is polled: nothing is read, written or accepted.
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    if (!paused) {
      fds.push_back(pollfd{listen_fd_, POLLIN, 0});
      for (auto& c : conns) {
        c->client_slot = c->upstream_slot = 0;
        if (short e = c->client_events()) {
          c->client_slot = fds.size();
          fds.push_back(pollfd{c->client, e, 0});
        }
        if (short e = c->upstream_events()) {
          c->upstream_slot = fds.size();
          fds.push_back(pollfd{c->upstream, e, 0});
        }
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ADD_FAILURE() << "TcpProxy: poll: " << std::strerror(errno);
      return;
    }
    if (fds[0].revents) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof count);
    }
    if (paused) continue;

    for (auto& c : conns)
      c->step(c->client_slot ? fds[c->client_slot].revents : 0, c->upstream_slot ? fds[c->upstream_slot].revents : 0);
    std::erase_if(conns, [](const auto& c) { return c->dead; });

    uint64_t accepted = 0;
    if (fds[1].revents & POLLIN) {
      for (;;) {
        int client = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) break;  // EAGAIN: the backlog is empty
        ++accepted;
        auto c = std::make_unique<Conn>();
        c->client = client;
        c->upstream = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        set_nodelay(client);
        set_nodelay(c->upstream);
        sockaddr_in addr = loopback(target_port_);
        if (connect(c->upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
          c->connecting = false;
        else if (errno != EINPROGRESS)
          c->abort();
        if (!c->dead) conns.push_back(std::move(c));
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    accepted_ += accepted;
    open_ = static_cast<int>(conns.size());
  }
}

}  // namespace itest
