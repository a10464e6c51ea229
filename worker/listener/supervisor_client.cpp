#include "worker/listener/supervisor_client.h"

#include <unistd.h>

#include <vector>

#include "protocol/response.h"
#include "worker/common/log.h"

namespace backend::worker {

SupervisorClient::SupervisorClient(uv_loop_t* loop, int channel_fd) : next_id_((uint64_t(getpid()) << 32) | 1) {
  channel_ = std::make_unique<Channel>(
      loop, channel_fd, [this](ChannelKind kind, uint64_t id, std::string_view p) { on_message(kind, id, p); });
}

void SupervisorClient::request(std::string_view body, Answer answer) {
  send(ChannelKind::kRequest, body, std::move(answer));
}

void SupervisorClient::save_file(const SaveFile& save, Answer answer) {
  send(ChannelKind::kSaveFile, encode(save), std::move(answer));
}

void SupervisorClient::ping(Answer answer) { send(ChannelKind::kPing, {}, std::move(answer)); }

void SupervisorClient::send(ChannelKind kind, std::string_view body, Answer answer) {
  uint64_t id = next_id_++;
  waiting_.emplace(id, std::move(answer));
  channel_->send(kind, id, body);
}

void SupervisorClient::on_message(ChannelKind kind, uint64_t id, std::string_view payload) {
  if (kind == ChannelKind::kHello) {
    if (auto hello = decode_hello(payload)) return restarted(*hello);
    return spdlog::error("listener: the supervisor's hello \"{}\" not understood", payload.substr(0, 100));
  }
  if (kind != ChannelKind::kReply) return spdlog::error("listener: a channel message of kind {} dropped", int(kind));
  auto it = waiting_.find(id);
  if (it == waiting_.end()) return;  // an earlier listener asked
  Answer answer = std::move(it->second);
  waiting_.erase(it);
  answer(payload);
}

void SupervisorClient::restarted(const Hello& hello) {
  uint64_t taken = hello.taken;
  std::vector<uint64_t> lost;
  for (const auto& [id, answer] : waiting_)
    if ((id >> 32) == (taken >> 32) && id <= taken) lost.push_back(id);
  const std::string failed = protocol::reply_json(protocol::Code::kFailed, {},
                                                  "the supervisor stopped while handling this request; "
                                                  "check whether it took effect before retrying");
  for (uint64_t id : lost) on_message(ChannelKind::kReply, id, failed);
}

}  // namespace backend::worker
