// The dashboard's logins: a session is a random id in an HttpOnly,
// SameSite=Strict cookie, with a CSRF token the page sends back in a header
// on every change. A session runs as its user: the listener adds the
// user's credentials to each request it carries, so the auth plugin judges
// it exactly as a client's request (privileges are the server's, not the
// page's). Sessions live in the listener's memory only: a restart of the
// listener ends them, and the page asks for a login again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace backend::worker::dashboard {

struct WebSession {
  std::string id;    // the cookie's value
  std::string csrf;  // the header's value
  std::string user;  // empty: auth was off when it began
  std::string password;
  std::string privileges;
  uint64_t last_used_ms = 0;
};

class WebSessions {
 public:
  static constexpr std::string_view kCookie = "backend_session";
  static constexpr uint64_t kIdleMs = 12 * 3600 * 1000;

  explicit WebSessions(size_t capacity = 4096) : capacity_(capacity) {}

  // A new session with fresh random id and token; the one least recently
  // used goes when `capacity` are open.
  const WebSession& open(std::string user, std::string password, std::string privileges, uint64_t now_ms);
  // The session of a cookie's value, touched; null when none or idle too
  // long.
  WebSession* find(std::string_view id, uint64_t now_ms);
  void end(std::string_view id);
  // The session is open (not touched: a page's event stream is no use of it).
  bool alive(const std::string& id) const { return by_id_.count(id) > 0; }
  size_t size() const { return by_id_.size(); }

  // The token a request sent is the session's (in constant time).
  static bool token_matches(const WebSession& s, std::string_view token);
  // The session cookie's value in a Cookie header, or empty.
  static std::string_view cookie_value(std::string_view cookie_header);
  // The Set-Cookie header line (with its CRLF) that gives, or with an empty
  // id takes back, the session cookie.
  static std::string set_cookie(std::string_view id);

 private:
  void drop_oldest();

  size_t capacity_;
  std::unordered_map<std::string, WebSession> by_id_;
};

}  // namespace backend::worker::dashboard
