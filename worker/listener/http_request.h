// HTTP/1.1 requests as the listener's HTTP face takes them: bytes in as they
// come, whole requests out, in order, each one parsed by Boost.Beast's
// parser (no parser of our own). A request the parser refuses earns the
// status that says why (400, 413 for a body over the limit, 431 for a
// header over 16 KiB), and nothing after it is read: the connection ends
// once that is answered. Beast stays inside http_request.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace backend::worker {

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // "/api/STATUS"
  // The fields the face looks at; empty when absent.
  std::string host;
  std::string origin;
  std::string content_type;
  std::string authorization;
  std::string cookie;
  std::string accept_encoding;
  std::string csrf_token;     // X-CSRF-Token, the dashboard's
  std::string last_event_id;  // an event stream resumed after a reconnect
  std::string body;
  bool keep_alive = true;
};

class HttpRequestReader {
 public:
  static constexpr size_t kMaxHeader = 16 * 1024;

  explicit HttpRequestReader(size_t max_body);
  ~HttpRequestReader();
  HttpRequestReader(const HttpRequestReader&) = delete;
  HttpRequestReader& operator=(const HttpRequestReader&) = delete;

  // Follows a reload's max_frame_bytes, from the next request on.
  void set_body_limit(size_t max_body) { max_body_ = max_body; }
  void feed(const char* data, size_t size);

  enum class Status { kNeedMore, kRequest, kBad };
  // The next whole request, if one is in; after kBad, always kBad.
  Status next(HttpRequest& out);
  // What a refused request earns: 400, 413 or 431, and why.
  int bad_status() const { return bad_status_; }
  const std::string& bad_reason() const { return bad_reason_; }
  // Part of a request has come, not all of it.
  bool mid_request() const;

 private:
  struct Parser;
  void refuse(int status, std::string reason);

  size_t max_body_;
  std::unique_ptr<Parser> parser_;  // the request being read; null between requests
  std::string buf_;                 // bytes not yet taken by the parser
  size_t pos_ = 0;
  int bad_status_ = 0;
  std::string bad_reason_;
};

}  // namespace backend::worker
