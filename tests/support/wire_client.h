// A tiny blocking client for the wire protocol (PROTOCOL.md, "Framing"):
// u32 little-endian length, then the payload. Every call is bounded by a
// timeout; nothing here ever blocks for good. It frames with the server's
// own codec (protocol/frame.h), which protocol_frame_test holds to the
// bytes PROTOCOL.md gives; tests that need other bytes (a false length, a
// frame cut short) send them with send_raw.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <sys/socket.h>

#include <rapidjson/document.h>

#include "protocol/frame.h"

namespace itest {

// A parsed response: {"code": ..., "data": ..., "error": ...}.
struct Reply {
  std::string raw;  // the payload as received
  rapidjson::Document doc;

  std::string code() const;
  std::string error() const;
  bool ok() const { return code() == "OK"; }
  bool has_data() const;
  const rapidjson::Value& data() const;  // only when has_data()
  std::string data_json() const;         // "" when there is no data
};

// Parses a response payload; nullopt when it is not a JSON object with a
// string "code".
std::optional<Reply> parse_reply(std::string payload);

using backend::protocol::encode_frame;
// "COMMAND" or "COMMAND <params>".
std::string request_payload(std::string_view command, std::string_view params_json = {});

// One HTTP response as the HTTP face sends it (Content-Length framed).
struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& name) const;  // "" when absent
};

// The status line and headers of a response's head (up to, not with, its
// blank line) into `reply`; false when it is no HTTP/1.1 response.
bool parse_http_head(const std::string& head, HttpReply& reply);

class WireClient {
 public:
  enum class Status { kOk, kClosed, kTimeout, kError };

  WireClient() = default;
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;
  WireClient(WireClient&& o) noexcept;
  WireClient& operator=(WireClient&& o) noexcept;

  // Connects to 127.0.0.1:port within timeout_ms. On failure `error` says why.
  bool connect(uint16_t port, int timeout_ms = 2000, std::string* error = nullptr);
  // Connects to the Unix socket at path.
  bool connect_unix(const std::string& path, int timeout_ms = 2000, std::string* error = nullptr);
  bool connected() const { return fd_ >= 0; }
  void close();
  int fd() const { return fd_; }

  // Writes all bytes within timeout_ms (false when the peer is gone).
  bool send_raw(std::string_view bytes, int timeout_ms = 2000);
  bool send_frame(std::string_view payload, int timeout_ms = 2000) {
    return send_raw(encode_frame(payload), timeout_ms);
  }

  // Reads one whole response frame.
  Status read_frame(std::string& payload, int timeout_ms = 5000);
  // Reads one whole HTTP response.
  Status read_http(HttpReply& reply, int timeout_ms = 5000);
  // Sends one request and reads its reply; nullopt when no well-formed reply
  // came within timeout_ms (`status` tells why, when given).
  std::optional<Reply> request(std::string_view command, std::string_view params_json = {},
                               int timeout_ms = 5000, Status* status = nullptr);

  // True when the server closes the connection within timeout_ms (bytes it
  // sends before closing are skipped).
  bool wait_closed(int timeout_ms);
  // True when a byte is ready to be read within timeout_ms.
  bool readable(int timeout_ms);

 private:
  bool connect_to(const sockaddr* addr, socklen_t addr_len, int timeout_ms, std::string* error);
  Status fill(size_t want, int64_t deadline_ms);
  int fd_ = -1;
  std::string in_;  // bytes received, not yet consumed
};

// Safe on a missing reply: false / "" / "<no reply>".
inline bool ok(const std::optional<Reply>& r) { return r && r->ok(); }
inline std::string code_of(const std::optional<Reply>& r) { return r ? r->code() : ""; }
inline std::string raw_of(const std::optional<Reply>& r) { return r ? r->raw : "<no reply>"; }

// One HTTP request (its raw bytes) on a fresh connection, and its response;
// nullopt when none came whole within timeout_ms.
std::optional<HttpReply> http_exchange(uint16_t port, std::string_view request, int timeout_ms = 5000);
// POST /api/COMMAND with the params as body, as a client of the HTTP face
// sends it to 127.0.0.1:port; `extra_headers` end with "\r\n" each.
std::string http_post(uint16_t port, std::string_view command, std::string_view params_json = {},
                      std::string_view extra_headers = {});

// One request on a fresh connection.
std::optional<Reply> query(uint16_t port, std::string_view command, std::string_view params_json = {},
                           int timeout_ms = 5000);

// Monotonic milliseconds.
int64_t now_ms();

// Reads one reply; fails the current test with the reason when none comes.
Reply next_reply(WireClient& c, int timeout_ms = 5000);
// A STATUSALL request payload of exactly n bytes (a padding param).
std::string statusall_of_size(size_t n);

}  // namespace itest
