// What one client connection speaks: the socket protocol's frames
// (framed_session.h) or HTTP (http_session.h). The connection
// (client_connections.h) moves bytes, keeps replies in order and applies
// backpressure and timeouts; its session turns the bytes into requests and
// the answers into replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace backend::worker {

class Session {
 public:
  virtual ~Session() = default;

  virtual void feed(const char* data, size_t size) = 0;
  // Part of a request has come, not all of it (a stall when it lasts).
  virtual bool mid_request() const = 0;

  enum class Step {
    kNeedMore,  // no whole request yet
    kAnswered,  // one request answered: its reply is in `out`
    kWaiting,   // one request whose answer comes later, by `ticket`
    kEnd,       // a last reply is in `out`: close once it is written
  };
  // Takes the next whole request. `ticket` is what a later answer will
  // come back with (Router::Front).
  virtual Step step(std::string& out, uint64_t ticket) = 0;
  // The later answer (a framed reply) to the request that waited; false
  // when the connection is to close once it is written.
  virtual bool answered(std::string framed_reply, std::string& out) = 0;
  // A connection turned away before it asks anything (the server serves
  // its limit): why, in the reply this session's client understands.
  virtual void refuse(std::string_view why, std::string& out) = 0;

  // The client's address ("127.0.0.1"), once accepted.
  virtual void set_peer(std::string address) { (void)address; }
  // The last reply began a stream that has no end (server-sent events):
  // the connection asks pump() for more while it lasts, and closes when the
  // client goes, or pump() says the stream is over (false).
  virtual bool streaming() const { return false; }
  virtual bool pump(std::string& out) {
    (void)out;
    return false;
  }
};

}  // namespace backend::worker
