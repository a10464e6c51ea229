#include "worker/listener/http_session.h"

#include <sodium.h>
#include <strings.h>

#include <algorithm>

#include <rapidjson/document.h>

#include "protocol/frame.h"
#include "protocol/response.h"

namespace backend::worker {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// "application/json", with or without parameters (charset=utf-8).
bool is_json(std::string_view content_type) {
  return same_name(trimmed(content_type.substr(0, content_type.find(';'))), "application/json");
}

// A Host header's name and port ("" when none): "a:1", "[::1]:1", "a".
std::pair<std::string_view, std::string_view> split_host(std::string_view host) {
  if (host.starts_with('[')) {
    auto close = host.find(']');
    if (close == std::string_view::npos) return {host, {}};
    std::string_view rest = host.substr(close + 1);
    return {host.substr(1, close - 1), rest.starts_with(':') ? rest.substr(1) : std::string_view()};
  }
  auto colon = host.rfind(':');
  if (colon == std::string_view::npos) return {host, {}};
  return {host.substr(0, colon), host.substr(colon + 1)};
}

// "Basic base64(user:password)": the two, or nullopt when the header is
// something else.
std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view header) {
  header = trimmed(header);
  if (header.size() < 6 || !same_name(header.substr(0, 6), "Basic ")) return std::nullopt;
  std::string_view encoded = trimmed(header.substr(6));
  std::string decoded(encoded.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), encoded.data(),
                        encoded.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  decoded.resize(length);
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

// The body's params with HTTP Basic's credentials as their "auth", which
// win over any in the body. A body that is no JSON object goes as it is,
// and the router says why it is refused.
std::string with_credentials(std::string_view body, const std::pair<std::string, std::string>& who) {
  rapidjson::Document params;
  if (trimmed(body).empty())
    params.SetObject();
  else
    params.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (params.HasParseError() || !params.IsObject()) return std::string(body);
  while (params.RemoveMember("auth")) {
  }
  auto& a = params.GetAllocator();
  rapidjson::Value auth(rapidjson::kObjectType);
  auth.AddMember("username", rapidjson::Value(who.first, a), a);
  auth.AddMember("password", rapidjson::Value(who.second, a), a);
  params.AddMember("auth", auth, a);
  return protocol::to_json(params);
}

std::string json_of(const std::string& framed_reply) { return framed_reply.substr(protocol::kFrameHeaderSize); }

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kMetricsText = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

HttpSession::HttpSession(const conf::Config& config, Router& router, SupervisorHealth& health, Metrics& metrics,
                         dashboard::Dashboard& dashboard, Router::Front& front)
    : config_(config),
      router_(router),
      health_(health),
      metrics_(metrics),
      front_(front),
      dash_(dashboard),
      reader_(config.max_frame_bytes) {}

void HttpSession::feed(const char* data, size_t size) {
  if (stream_) return;  // an event stream's client has nothing more to ask
  reader_.set_body_limit(config_.max_frame_bytes);  // follows a reload
  reader_.feed(data, size);
}

Session::Step HttpSession::step(std::string& out, uint64_t ticket) {
  if (stream_) return Step::kNeedMore;
  HttpRequest req;
  switch (reader_.next(req)) {
    case HttpRequestReader::Status::kNeedMore: return Step::kNeedMore;
    case HttpRequestReader::Status::kBad:
      keep_alive_ = false;
      return respond(out, reader_.bad_status(), reader_.bad_reason() + "\n");
    case HttpRequestReader::Status::kRequest: break;
  }
  keep_alive_ = req.keep_alive;
  return serve(req, out, ticket);
}

// Why a request comes from where it must not (nullopt: it does not).
std::optional<std::string> HttpSession::foreign(const HttpRequest& req) const {
  auto [name, port] = split_host(req.host);
  bool own_port = port.empty() ? config_.http_port == 80 : port == std::to_string(config_.http_port);
  bool own_name = same_name(name, config_.http_host) ||
                  std::any_of(config_.http_hosts.begin(), config_.http_hosts.end(),
                              [&](const std::string& h) { return same_name(name, h); });
  if (!own_port || !own_name)
    return "Host \"" + req.host.substr(0, 200) + "\" is not this server's address; list the name in http_hosts";
  if (!req.origin.empty() && req.origin != "http://" + req.host)
    return "a request from another origin (\"" + req.origin.substr(0, 200) + "\") is refused";
  return std::nullopt;
}

Session::Step HttpSession::serve(HttpRequest& req, std::string& out, uint64_t ticket) {
  if (auto why = foreign(req)) return respond(out, 403, *why + "\n");
  std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  if (path.starts_with("/api/")) {
    if (req.method != "POST") return respond(out, 405, "use POST\n", "POST");
    if (!is_json(req.content_type)) return respond(out, 415, "the body must be Content-Type: application/json\n");
    return api(req, path.substr(5), out, ticket);
  }
  if (path == "/metrics") {
    if (req.method != "GET") return respond(out, 405, "use GET\n", "GET");
    waiting_ = Waiting::kMetrics;
    metrics_.scrape([&front = front_, ticket](std::string text) { front.answered(ticket, std::move(text)); });
    return Step::kWaiting;
  }
  if (path == "/healthz") {
    if (req.method != "GET") return respond(out, 405, "use GET\n", "GET");
    return health(out, ticket);
  }
  if (path == "/" || path.starts_with("/ui/")) return ui(req, path, out, ticket);
  return respond(out, 404,
                 "no such path; the API is POST /api/COMMAND, and GET /healthz and /metrics; the dashboard is at /\n");
}

Session::Step HttpSession::api(HttpRequest& req, std::string_view command, std::string& out, uint64_t ticket) {
  std::string payload(command);
  std::string params = req.body;
  // A browser sends the dashboard's cookie with any request to this
  // origin: the token, which only the dashboard's own page can read, says
  // that the page sent it.
  std::string_view sid = dashboard::WebSessions::cookie_value(req.cookie);
  dashboard::WebSession* web = nullptr;
  if (!sid.empty()) {
    web = dash_.sessions.find(sid, dashboard::Dashboard::now_ms());
    if (!web) return respond_json(out, 401, R"({"code":"DENIED","error":"the session ended; log in again"})");
    if (!dashboard::WebSessions::token_matches(*web, req.csrf_token))
      return respond(out, 403, "the X-CSRF-Token header is missing or is not this session's\n");
  }
  if (!req.authorization.empty()) {
    auto who = basic_credentials(req.authorization);
    if (!who) return respond(out, 400, "Authorization must be Basic credentials\n");
    params = with_credentials(params, *who);
  } else if (web && !web->user.empty()) {
    params = with_credentials(params, {web->user, web->password});
  }
  if (!trimmed(params).empty()) payload += " " + params;
  waiting_ = Waiting::kApi;
  std::string reply;
  if (!router_.route(payload, reply, front_, ticket)) return Step::kWaiting;
  return respond(out, 200, json_of(reply), {}, kJson);
}

Session::Step HttpSession::health(std::string& out, uint64_t ticket) {
  if (auto problem = health_.known_problem()) return respond(out, 503, *problem + "\n");
  waiting_ = Waiting::kHealth;
  health_.check([&front = front_, ticket](std::optional<std::string> problem) {
    front.answered(ticket, problem.value_or(""));
  });
  return Step::kWaiting;
}

bool HttpSession::answered(std::string reply, std::string& out) {
  switch (waiting_) {
    case Waiting::kHealth:
      return respond(out, reply.empty() ? 200 : 503, reply.empty() ? "ok\n" : reply + "\n") != Step::kEnd;
    case Waiting::kLogin: return login_answered(std::string_view(reply).substr(protocol::kFrameHeaderSize), out);
    case Waiting::kEvents: return events_answered(std::string_view(reply).substr(protocol::kFrameHeaderSize), out);
    case Waiting::kMetrics: return respond(out, 200, reply, {}, kMetricsText) != Step::kEnd;
    case Waiting::kApi: break;
  }
  return respond(out, 200, json_of(reply), {}, kJson) != Step::kEnd;
}

void HttpSession::refuse(std::string_view why, std::string& out) {
  keep_alive_ = false;
  respond(out, 503, std::string(why) + "\n");
}

// Every response goes out here: it closes the connection when the request
// asked for that, or after a request the reader refused.
Session::Step HttpSession::send(std::string& out, HttpResponse r) {
  r.close = !keep_alive_;
  append_response(out, r);
  return keep_alive_ ? Step::kAnswered : Step::kEnd;
}

Session::Step HttpSession::respond_json(std::string& out, int status, std::string_view body,
                                        std::string_view headers) {
  HttpResponse r;
  r.status = status;
  r.content_type = kJson;
  r.body = body;
  r.headers = headers;
  return send(out, r);
}

Session::Step HttpSession::respond(std::string& out, int status, std::string_view body, std::string_view allow,
                                   std::string_view content_type) {
  HttpResponse r;
  r.status = status;
  r.content_type = content_type;
  r.body = body;
  r.allow = allow;
  return send(out, r);
}

}  // namespace backend::worker
