// The listener's end of the channel to the supervisor: requests go out with
// ids of this listener's own (its pid in the high half, so that those of a
// listener that died are never mistaken for its successor's), replies come
// back to whoever asked. When a new supervisor says Hello, the requests its
// dead predecessor took are answered FAILED: they will never be answered
// otherwise, and the ones after them will be.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>

#include <uv.h>

#include "worker/ipc/channel.h"
#include "worker/ipc/messages.h"

namespace backend::worker {

class SupervisorClient {
 public:
  // The reply's JSON, as the client gets it (without a frame).
  using Answer = std::function<void(std::string_view reply_json)>;

  SupervisorClient(uv_loop_t* loop, int channel_fd);

  // A client's request as it came (COMMAND JSON); answer is called once.
  void request(std::string_view body, Answer answer);
  // A file of a listener plugin's folder, which the supervisor writes.
  void save_file(const SaveFile& save, Answer answer);
  // Answered at once by a supervisor whose loop turns (/healthz).
  void ping(Answer answer);
  // Nothing larger can be sent.
  static constexpr size_t kMaxBody = Channel::kMaxPayload;

  void close() { channel_->close(); }

 private:
  void send(ChannelKind kind, std::string_view body, Answer answer);
  void on_message(ChannelKind kind, uint64_t id, std::string_view payload);
  void restarted(const Hello& hello);

  std::unique_ptr<Channel> channel_;
  std::unordered_map<uint64_t, Answer> waiting_;
  uint64_t next_id_;
};

}  // namespace backend::worker
