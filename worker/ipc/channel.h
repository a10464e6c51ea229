// The listener <-> supervisor channel: a SOCK_SEQPACKET socketpair the master
// made before forking, so every message arrives whole or not at all, even
// across a worker's death. A message is a u64 request id, its kind and a
// payload. A payload longer than kMaxPayload goes as several packets, in
// order, flagged in the kind byte, and is handed on once whole: a reply to
// SCHEDULER.GETALL at 2,000 jobs (229 KB) used to be dropped by the
// listener, and its client waited for ever.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <uv.h>

#include "worker/ipc/polled_socket.h"

namespace backend::worker {

// What a channel message is. Requests carry a client's request as it came
// (COMMAND JSON); replies the JSON a client gets; Hello and SaveFile are
// the messages of worker/ipc/messages.h.
enum class ChannelKind : uint8_t {
  kRequest = 1,   // listener -> supervisor
  kSaveFile = 2,  // listener -> supervisor
  kReply = 3,     // supervisor -> listener, with the request's id
  kHello = 4,     // supervisor -> listener, id 0
  kPing = 5,      // listener -> supervisor, answered at once by a Reply
};

class Channel : public PolledSocket {
 public:
  // Most a packet carries (the socket buffers hold four).
  static constexpr size_t kMaxPayload = 128 * 1024;
  // Most a message in packets may add up to: beyond it, a stream gone wrong
  // rather than a reply, and dropped.
  static constexpr size_t kMaxMessage = size_t(256) << 20;
  using OnMessage = std::function<void(ChannelKind kind, uint64_t id, std::string_view payload)>;

  // Called with a message's id while it still sits in the socket, before it
  // is consumed: a side that records what it took there can die at any
  // instant without a request vanishing unrecorded.
  using OnTaking = std::function<void(uint64_t id)>;

  Channel(uv_loop_t* loop, int fd, OnMessage on_message, OnTaking on_taking = {});

  // Never blocks: what the socket cannot take now waits in a queue.
  void send(ChannelKind kind, uint64_t id, std::string_view payload);

 private:
  void read_all() override;
  void write_queued() override;
  // Called for every message: a literal, so that nothing is built when
  // there is nothing to drop.
  void drop_partial(std::string_view why);
  bool has_queued() const override { return !queue_.empty(); }

  OnMessage on_message_;
  OnTaking on_taking_;
  std::deque<std::string> queue_;
  // Where messages are received: allocated, never filled, so that only the
  // pages the largest message so far reached are resident (a zero-filled
  // std::string held 132 KiB in each worker from birth).
  static constexpr size_t kBufBytes = kMaxPayload + 64;
  std::unique_ptr<char[]> buf_{new char[kBufBytes]};
  // A message arriving in packets, until its last.
  std::string partial_;
  uint64_t partial_id_ = 0;
  ChannelKind partial_kind_{};
  bool in_partial_ = false;
};

// Sets the socket buffers so a whole message of kMaxPayload fits.
void size_channel_socket(int fd);

}  // namespace backend::worker
