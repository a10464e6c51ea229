// The socket protocol (PROTOCOL.md): length-prefixed frames, each one
// request for the router, each reply a frame.
#pragma once

#include "conf/config.h"
#include "protocol/frame.h"
#include "worker/listener/router.h"
#include "worker/listener/session.h"

namespace backend::worker {

class FramedSession : public Session {
 public:
  FramedSession(const conf::Config& config, Router& router, Router::Front& front);

  void feed(const char* data, size_t size) override;
  bool mid_request() const override { return decoder_.mid_frame(); }
  Step step(std::string& out, uint64_t ticket) override;
  bool answered(std::string framed_reply, std::string& out) override;
  // As the answer to whatever the client asks first.
  void refuse(std::string_view why, std::string& out) override;

 private:
  const conf::Config& config_;
  Router& router_;
  Router::Front& front_;
  protocol::FrameDecoder decoder_;
};

}  // namespace backend::worker
