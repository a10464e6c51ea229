#include "worker/listener/framed_session.h"

#include "protocol/response.h"

namespace backend::worker {

FramedSession::FramedSession(const conf::Config& config, Router& router, Router::Front& front)
    : config_(config), router_(router), front_(front), decoder_(config.max_frame_bytes) {}

void FramedSession::feed(const char* data, size_t size) {
  decoder_.set_limit(config_.max_frame_bytes);  // follows a reload
  decoder_.feed(data, size);
}

Session::Step FramedSession::step(std::string& out, uint64_t ticket) {
  std::string_view payload;
  switch (decoder_.next(payload)) {
    case protocol::FrameDecoder::Status::kNeedMore: return Step::kNeedMore;
    case protocol::FrameDecoder::Status::kTooLarge:
      protocol::append_reply(out, protocol::Code::kFailed, {},
                             "request of " + std::to_string(decoder_.refused_length()) +
                                 " bytes is larger than the limit of " + std::to_string(config_.max_frame_bytes) +
                                 " bytes");
      return Step::kEnd;
    case protocol::FrameDecoder::Status::kFrame: break;
  }
  return router_.route(payload, out, front_, ticket) ? Step::kAnswered : Step::kWaiting;
}

bool FramedSession::answered(std::string framed_reply, std::string& out) {
  // A reply made on the thread pool can be megabytes: taken over, not
  // copied, when nothing is queued before it.
  if (out.empty())
    out = std::move(framed_reply);
  else
    out += framed_reply;
  return true;
}

void FramedSession::refuse(std::string_view why, std::string& out) {
  protocol::append_reply(out, protocol::Code::kFailed, {}, why);
}

}  // namespace backend::worker
