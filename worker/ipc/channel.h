// The listener <-> supervisor channel: a SOCK_SEQPACKET socketpair the master
// made before forking, so every message arrives whole or not at all, even
// across a worker's death. A message is a u64 request id and a payload.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include <uv.h>

#include "worker/ipc/polled_socket.h"

namespace backend::worker {

class Channel : public PolledSocket {
 public:
  static constexpr size_t kMaxPayload = 128 * 1024;
  using OnMessage = std::function<void(uint64_t id, std::string_view payload)>;

  // Called with a message's id while it still sits in the socket, before it
  // is consumed: a side that records what it took there can die at any
  // instant without a request vanishing unrecorded.
  using OnTaking = std::function<void(uint64_t id)>;

  Channel(uv_loop_t* loop, int fd, OnMessage on_message, OnTaking on_taking = {});

  // Never blocks: what the socket cannot take now waits in a queue.
  void send(uint64_t id, std::string_view payload);

 private:
  void read_all() override;
  void write_queued() override;
  bool has_queued() const override { return !queue_.empty(); }

  OnMessage on_message_;
  OnTaking on_taking_;
  std::deque<std::string> queue_;
  std::string buf_;
};

// Sets the socket buffers so a whole message of kMaxPayload fits.
void size_channel_socket(int fd);

}  // namespace backend::worker
