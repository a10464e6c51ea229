#include "worker/listener/dashboard/web_sessions.h"

#include <sodium.h>

#include <algorithm>

namespace backend::worker::dashboard {
namespace {

// 256 random bits as 64 hex digits: unguessable, and safe in a cookie.
std::string random_token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const WebSession& WebSessions::open(std::string user, std::string password, std::string privileges,
                                    uint64_t now_ms) {
  while (!by_id_.empty() && by_id_.size() >= capacity_) drop_oldest();
  WebSession s;
  s.id = random_token();
  s.csrf = random_token();
  s.user = std::move(user);
  s.password = std::move(password);
  s.privileges = std::move(privileges);
  s.last_used_ms = now_ms;
  auto [it, _] = by_id_.emplace(s.id, std::move(s));
  return it->second;
}

WebSession* WebSessions::find(std::string_view id, uint64_t now_ms) {
  if (id.empty()) return nullptr;
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return nullptr;
  if (now_ms - it->second.last_used_ms > kIdleMs) {
    end(id);
    return nullptr;
  }
  it->second.last_used_ms = now_ms;
  return &it->second;
}

void WebSessions::end(std::string_view id) {
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return;
  sodium_memzero(it->second.password.data(), it->second.password.size());
  by_id_.erase(it);
}

// Linear, and only when the table is full: thousands of logins at once is
// an attack or a bug, not a case to be fast for.
void WebSessions::drop_oldest() {
  auto oldest = std::min_element(by_id_.begin(), by_id_.end(), [](const auto& a, const auto& b) {
    return a.second.last_used_ms < b.second.last_used_ms;
  });
  end(std::string(oldest->first));
}

bool WebSessions::token_matches(const WebSession& s, std::string_view token) {
  return token.size() == s.csrf.size() && sodium_memcmp(token.data(), s.csrf.data(), token.size()) == 0;
}

std::string_view WebSessions::cookie_value(std::string_view header) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = trimmed(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trimmed(pair.substr(0, eq)) == kCookie) return trimmed(pair.substr(eq + 1));
  }
  return {};
}

std::string WebSessions::set_cookie(std::string_view id) {
  std::string line = "Set-Cookie: ";
  line += kCookie;
  line += '=';
  line += id;
  line += "; Path=/; HttpOnly; SameSite=Strict";
  if (id.empty()) line += "; Max-Age=0";
  line += "\r\n";
  return line;
}

}  // namespace backend::worker::dashboard
