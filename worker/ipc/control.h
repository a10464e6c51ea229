// The supervisor <-> master control socket (SEQPACKET, both ends held by
// the master, so a new supervisor picks up where a dead one left off).
// It carries each job's pipes to the master for safekeeping (SCM_RIGHTS),
// gives them back after a crash, and brings the exits the master reaped:
// the messages of worker/ipc/messages.h.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <uv.h>

#include "worker/ipc/messages.h"
#include "worker/ipc/polled_socket.h"

namespace backend::worker {

class Control : public PolledSocket {
 public:
  // The handler may take fds (setting them to -1); the rest are closed.
  using OnMessage = std::function<void(ControlMessage& message, std::vector<int>& fds)>;

  // A message waiting to be sent; it owns duplicates of its fds.
  struct Outgoing {
    Outgoing(const ControlMessage& message, const std::vector<int>& lent = {});
    std::string text;
    std::vector<int> fds;
  };

  Control(uv_loop_t* loop, int fd, OnMessage on_message);
  ~Control() override;

  // Never blocks. The caller keeps its fds: they are duplicated only when
  // the message must wait in the queue.
  void send(const ControlMessage& message, const std::vector<int>& fds = {});
  // Queued, to go out with the next send() or flush(), whichever is first:
  // a message that need not wake the other side now.
  void send_later(const ControlMessage& message);
  // Writes what send_later() queued (a loop calls it once per turn).
  void flush();

 private:
  void read_all() override;
  void write_queued() override;
  bool has_queued() const override { return !queue_.empty(); }

  OnMessage on_message_;
  std::deque<Outgoing> queue_;
};

// Sends what it can of a queue of outgoing messages, closing the fds of
// those sent. Returns false on a hard error. Shared with the master.
bool send_queued(int socket, std::deque<Control::Outgoing>& queue);
// Receives one message. One that does not decode is logged and dropped
// with its fds. End of file (no message is ever empty) or an error is
// kClosed: the peer is gone, and reading on would spin.
enum class Received { kMessage, kNone, kDropped, kClosed };
Received receive_control(int socket, ControlMessage& message, std::vector<int>& fds);
std::vector<int> duplicate_fds(const std::vector<int>& fds);
void close_fds(const std::vector<int>& fds);

}  // namespace backend::worker
