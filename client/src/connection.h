// One blocking TCP connection to the server, every wait bounded by poll(2)
// and a deadline, so that a call never hangs on a stalled server.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "backend/client.h"

namespace backend::client {

class Backend::Connection {
 public:
  using Clock = std::chrono::steady_clock;

  ~Connection();

  // Connects within the timeout; nullopt and `error` set on failure.
  static std::unique_ptr<Connection> open(const Options& o, std::string& error);

  // False when the server has closed its end (or sent bytes nobody asked
  // for): the connection cannot carry another call.
  bool usable() const;

  // Sends one framed request and reads one framed reply. On failure returns
  // nullopt with `error` set, and `reply_started` tells whether any byte of
  // the reply had arrived (if not, the request was never answered).
  std::optional<std::string> exchange(std::string_view payload, const Options& o, std::string& error,
                                      bool& reply_started);

 private:
  explicit Connection(int fd) : fd_(fd) {}
  bool send_all(std::string_view bytes, Clock::time_point deadline, std::string& error);
  // Reads exactly n bytes into out; `got` counts what arrived.
  bool recv_exact(char* out, size_t n, Clock::time_point deadline, std::string& error, size_t& got);
  bool wait_for(short events, Clock::time_point deadline);

  int fd_;
};

}  // namespace backend::client
