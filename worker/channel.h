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

namespace backend::worker {

class Channel {
 public:
  static constexpr size_t kMaxPayload = 128 * 1024;
  using OnMessage = std::function<void(uint64_t id, std::string_view payload)>;

  Channel(uv_loop_t* loop, int fd, OnMessage on_message);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Never blocks: what the socket cannot take now waits in a queue.
  void send(uint64_t id, std::string_view payload);
  void close();

 private:
  static void on_poll(uv_poll_t* handle, int status, int events);
  void read_all();
  void write_queued();
  void watch();

  int fd_;
  OnMessage on_message_;
  uv_poll_t* poll_;
  std::deque<std::string> queue_;
  std::string buf_;
};

// Sets the socket buffers so a whole message of kMaxPayload fits.
void size_channel_socket(int fd);

}  // namespace backend::worker
