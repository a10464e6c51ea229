#include "tests/support/wire_client.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace itest {

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

namespace {

int remaining(int64_t deadline_ms) {
  int64_t left = deadline_ms - now_ms();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::string Reply::code() const {
  auto it = doc.FindMember("code");
  return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string Reply::error() const {
  auto it = doc.FindMember("error");
  return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool Reply::has_data() const { return doc.HasMember("data"); }

const rapidjson::Value& Reply::data() const { return doc["data"]; }

std::string Reply::data_json() const {
  if (!has_data()) return "";
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  data().Accept(w);
  return sb.GetString();
}

std::optional<Reply> parse_reply(std::string payload) {
  Reply r;
  r.raw = std::move(payload);
  r.doc.Parse(r.raw.c_str(), r.raw.size());
  if (r.doc.HasParseError() || !r.doc.IsObject()) return std::nullopt;
  auto it = r.doc.FindMember("code");
  if (it == r.doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return r;
}

std::string request_payload(std::string_view command, std::string_view params_json) {
  std::string p(command);
  if (!params_json.empty()) {
    p.push_back(' ');
    p.append(params_json);
  }
  return p;
}

WireClient::~WireClient() { close(); }

WireClient::WireClient(WireClient&& o) noexcept : fd_(o.fd_), in_(std::move(o.in_)) { o.fd_ = -1; }

WireClient& WireClient::operator=(WireClient&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    in_ = std::move(o.in_);
    o.fd_ = -1;
  }
  return *this;
}

void WireClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
}

bool WireClient::connect(uint16_t port, int timeout_ms, std::string* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect_to(reinterpret_cast<const sockaddr*>(&addr), sizeof addr, timeout_ms, error);
}

bool WireClient::connect_unix(const std::string& path, int timeout_ms, std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    if (error) *error = "path too long";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return connect_to(reinterpret_cast<const sockaddr*>(&addr), sizeof addr, timeout_ms, error);
}

bool WireClient::connect_to(const sockaddr* addr, socklen_t addr_len, int timeout_ms, std::string* error) {
  close();
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    close();
    return false;
  };
  fd_ = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  if (addr->sa_family == AF_INET) setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, addr, addr_len) == 0) return true;
  if (errno != EINPROGRESS && errno != EAGAIN) return fail(std::string("connect: ") + std::strerror(errno));
  pollfd p{fd_, POLLOUT, 0};
  int rc = poll(&p, 1, timeout_ms);
  if (rc == 0) return fail("connect: timed out");
  if (rc < 0) return fail(std::string("poll: ") + std::strerror(errno));
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
  return true;
}

bool WireClient::send_raw(std::string_view bytes, int timeout_ms) {
  if (fd_ < 0) return false;
  int64_t deadline = now_ms() + timeout_ms;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, remaining(deadline)) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

WireClient::Status WireClient::fill(size_t want, int64_t deadline_ms) {
  char buf[65536];
  while (in_.size() < want) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return Status::kClosed;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return Status::kClosed;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Status::kError;
    pollfd p{fd_, POLLIN, 0};
    int rc = poll(&p, 1, remaining(deadline_ms));
    if (rc == 0) return Status::kTimeout;
    if (rc < 0 && errno != EINTR) return Status::kError;
  }
  return Status::kOk;
}

WireClient::Status WireClient::read_frame(std::string& payload, int timeout_ms) {
  if (fd_ < 0) return Status::kError;
  int64_t deadline = now_ms() + timeout_ms;
  using backend::protocol::kFrameHeaderSize;
  if (Status s = fill(kFrameHeaderSize, deadline); s != Status::kOk) return s;
  uint32_t len = *backend::protocol::frame_length(in_);
  if (len > (64u << 20)) return Status::kError;  // no reply of ours is that large
  if (Status s = fill(kFrameHeaderSize + len, deadline); s != Status::kOk) return s;
  payload = in_.substr(kFrameHeaderSize, len);
  in_.erase(0, kFrameHeaderSize + len);
  return Status::kOk;
}

bool parse_http_head(const std::string& head, HttpReply& r) {
  if (head.rfind("HTTP/1.1 ", 0) != 0) return false;
  r.status = std::atoi(head.c_str() + 9);
  for (size_t at = head.find("\r\n"); at != std::string::npos;) {
    size_t next = head.find("\r\n", at + 2);
    std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    at = next;
  }
  return true;
}

WireClient::Status WireClient::read_http(HttpReply& reply, int timeout_ms) {
  if (fd_ < 0) return Status::kError;
  int64_t deadline = now_ms() + timeout_ms;
  size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos)
    if (Status s = fill(in_.size() + 1, deadline); s != Status::kOk) return s;
  HttpReply r;
  if (!parse_http_head(in_.substr(0, end), r)) return Status::kError;
  size_t length = std::strtoull(r.header("content-length").c_str(), nullptr, 10);
  if (Status s = fill(end + 4 + length, deadline); s != Status::kOk) return s;
  r.body = in_.substr(end + 4, length);
  in_.erase(0, end + 4 + length);
  reply = std::move(r);
  return Status::kOk;
}

std::string HttpReply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::optional<HttpReply> http_exchange(uint16_t port, std::string_view request, int timeout_ms) {
  WireClient c;
  HttpReply reply;
  if (!c.connect(port, timeout_ms) || !c.send_raw(request, timeout_ms) ||
      c.read_http(reply, timeout_ms) != WireClient::Status::kOk)
    return std::nullopt;
  return reply;
}

std::string http_post(uint16_t port, std::string_view command, std::string_view params_json,
                      std::string_view extra_headers) {
  return "POST /api/" + std::string(command) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(params_json.size()) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(params_json);
}

std::optional<Reply> WireClient::request(std::string_view command, std::string_view params_json,
                                         int timeout_ms, Status* status) {
  if (status) *status = Status::kError;
  if (!send_frame(request_payload(command, params_json), timeout_ms)) return std::nullopt;
  std::string payload;
  Status s = read_frame(payload, timeout_ms);
  if (status) *status = s;
  if (s != Status::kOk) return std::nullopt;
  auto r = parse_reply(std::move(payload));
  if (!r && status) *status = Status::kError;
  return r;
}

bool WireClient::wait_closed(int timeout_ms) {
  if (fd_ < 0) return true;
  int64_t deadline = now_ms() + timeout_ms;
  in_.clear();
  for (;;) {
    Status s = fill(in_.size() + 1, deadline);
    if (s == Status::kClosed) return true;
    if (s != Status::kOk) return false;
    in_.clear();
  }
}

bool WireClient::readable(int timeout_ms) {
  if (!in_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, timeout_ms) > 0;
}

std::optional<Reply> query(uint16_t port, std::string_view command, std::string_view params_json,
                           int timeout_ms) {
  WireClient c;
  if (!c.connect(port, timeout_ms)) return std::nullopt;
  return c.request(command, params_json, timeout_ms);
}

Reply next_reply(WireClient& c, int timeout_ms) {
  std::string payload;
  auto st = c.read_frame(payload, timeout_ms);
  EXPECT_EQ(st, WireClient::Status::kOk) << "no reply (status " << static_cast<int>(st) << ")";
  auto r = parse_reply(payload);
  EXPECT_TRUE(r) << "not a reply: " << payload;
  return r ? std::move(*r) : Reply{};
}

std::string statusall_of_size(size_t n) {
  std::string head = "STATUSALL {\"pad\":\"", tail = "\"}";
  return head + std::string(n - head.size() - tail.size(), 'a') + tail;
}

}  // namespace itest
