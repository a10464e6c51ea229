// A TCP proxy from 127.0.0.1:port() to 127.0.0.1:target_port, on its own
// thread, to cut a server off from a peer (etcd) without closing a socket.
//
// pause() is a network partition: once it returns, no byte moves in either
// direction and no new connection is forwarded (the kernel still completes
// the handshake of new ones into the listen backlog, as a client sees a
// connect succeed and then nothing). Clients see timeouts, never resets.
//
// resume() heals the partition the way TCP does when it heals before the
// retransmission timeout: nothing is lost. Bytes sent during the pause sat
// unread in the kernel's socket buffers and are now delivered, late, in
// order, and the connections left in the backlog are forwarded. A client
// that gave up meanwhile and closed its socket gets its request delivered
// anyway and the answer dropped, as on a real network. To model a partition
// long enough for TCP to give up, call reset_connections() (before or after
// resume()): every forwarded connection is closed with a reset.
//
// The destructor stops the thread and closes every socket. All sockets are
// nonblocking and close-on-exec.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace itest {

class TcpProxy {
 public:
  // Listens at once on listen_port, or on a free port when it is 0 (a
  // proxy put back where another was); fails the test when it cannot.
  explicit TcpProxy(uint16_t target_port, uint16_t listen_port = 0);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  uint16_t port() const { return port_; }
  uint16_t target_port() const { return target_port_; }

  // Both take effect before they return (the thread has acknowledged them).
  void pause();
  void resume();
  bool paused() const;
  // Closes every forwarded connection on both sides with a RST; the
  // listener stays, so new connections are forwarded (unless paused).
  void reset_connections();

  // Connections accepted and forwarded so far, and those open now.
  uint64_t accepted() const;
  int open_connections() const;

 private:
  struct Conn;
  void run();
  // Asks the thread to apply the current flags and waits until it has.
  void sync();

  const uint16_t target_port_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: the thread's poll wakes on a write

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = false;
  bool stop_ = false;
  bool reset_ = false;
  uint64_t requested_ = 0;  // sync() calls made
  uint64_t applied_ = 0;    // sync() calls the thread has acted on
  uint64_t accepted_ = 0;
  int open_ = 0;

  std::thread thread_;
};

}  // namespace itest
