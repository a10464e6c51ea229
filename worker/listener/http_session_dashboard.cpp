// HttpSession's dashboard paths (dashboard/README.md): the page's files, its
// logins and its event streams. The API itself is http_session.cpp's.
#include <strings.h>

#include <ctime>

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "protocol/response.h"
#include "worker/common/version.h"
#include "worker/listener/dashboard/assets.h"
#include "worker/listener/http_session.h"

namespace backend::worker {
namespace {

using dashboard::Dashboard;
using dashboard::WebSessions;
constexpr std::string_view kJson = "application/json";

// The value of `key` in a request target's query, percent-decoded; nullopt
// when absent.
std::optional<std::string> query_param(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string value;
    for (size_t i = 0; i < raw.size(); ++i) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      if (raw[i] == '%' && i + 2 < raw.size() + 0 && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
        value += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
        i += 2;
      } else {
        value += raw[i] == '+' ? ' ' : raw[i];
      }
    }
    return value;
  }
  return std::nullopt;
}

bool takes_gzip(std::string_view accept_encoding) {
  // Good enough for what browsers send ("gzip, deflate, br"); a q=0 for
  // gzip is not something a browser says.
  for (size_t i = 0; i + 4 <= accept_encoding.size(); ++i)
    if (strncasecmp(accept_encoding.data() + i, "gzip", 4) == 0) return true;
  return false;
}

std::string json_string(std::string_view s) {
  std::string out;
  protocol::append_json_string(out, s);
  return out;
}

std::string version() { return json_string(server_version()); }

// The session's part of /ui/session and of a login's reply.
std::string who(const dashboard::WebSession& s) {
  return "\"user\":" + (s.user.empty() ? std::string("null") : json_string(s.user)) +
         ",\"privileges\":" + json_string(s.privileges) + ",\"csrf\":" + json_string(s.csrf);
}

}  // namespace

Session::Step HttpSession::ui(HttpRequest& req, std::string_view path, std::string& out, uint64_t ticket) {
  if (path == "/ui/login") {
    if (req.method != "POST") return respond(out, 405, "use POST\n", "POST");
    return login(req, out, ticket);
  }
  if (path == "/ui/logout") {
    if (req.method != "POST") return respond(out, 405, "use POST\n", "POST");
    return logout(req, out);
  }
  if (req.method != "GET" && req.method != "HEAD") return respond(out, 405, "use GET\n", "GET");
  if (path == "/ui/session") return session_info(req, out);
  if (path == "/ui/events") return events(req, out, ticket);
  return asset(req, path == "/" ? "index.html" : path.substr(4), out);
}

Session::Step HttpSession::asset(const HttpRequest& req, std::string_view path, std::string& out) {
  const dashboard::Asset* a = dashboard::find_asset(path);
  if (!a) return respond(out, 404, "no such file of the dashboard\n");
  bool gzip = takes_gzip(req.accept_encoding) && a->gzipped.size() < a->body.size();
  HttpResponse r;
  r.content_type = a->content_type;
  r.body = gzip ? a->gzipped : a->body;
  r.policy = kDashboardPolicy;
  r.headers = gzip ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n" : "Vary: Accept-Encoding\r\n";
  Step step = send(out, r);
  if (req.method == "HEAD") out.resize(out.size() - r.body.size());
  return step;
}

Session::Step HttpSession::ask(std::string payload, std::string& out, uint64_t ticket) {
  std::string reply;
  if (!router_.route(payload, reply, front_, ticket)) return Step::kWaiting;
  return answered(std::move(reply), out) ? Step::kAnswered : Step::kEnd;
}

// Whether a login is needed is the auth plugin's to say: a request without
// credentials is refused exactly when auth guards the server.
Session::Step HttpSession::session_info(const HttpRequest& req, std::string& out) {
  uint64_t now = Dashboard::now_ms();
  dashboard::WebSession* s = dash_.sessions.find(WebSessions::cookie_value(req.cookie), now);
  if (s && !s->user.empty())
    return respond_json(out, 200, "{\"auth\":true," + who(*s) + ",\"version\":" + version() + "}");
  if (!router_.admits_anyone("STATUSALL")) {
    // Auth came on since this session began without a user: it is over.
    if (s) dash_.sessions.end(s->id);
    return respond_json(out, 200,
                        "{\"auth\":true,\"user\":null,\"privileges\":null,\"csrf\":null,\"version\":" + version() + "}",
                        s ? WebSessions::set_cookie("") : std::string());
  }
  // No login needed: every page still gets a session, for its token.
  std::string cookie;
  const dashboard::WebSession* anyone = s;
  if (!anyone) {
    anyone = &dash_.sessions.open("", "", "*", now);
    cookie = WebSessions::set_cookie(anyone->id);
  }
  return respond_json(out, 200, "{\"auth\":false," + who(*anyone) + ",\"version\":" + version() + "}", cookie);
}

Session::Step HttpSession::login(HttpRequest& req, std::string& out, uint64_t ticket) {
  if (!req.content_type.starts_with("application/json"))
    return respond(out, 415, "the body must be Content-Type: application/json\n");
  if (uint64_t wait = dash_.logins.wait_ms(peer_, Dashboard::now_ms())) {
    spdlog::warn("dashboard: login from {} refused: too many failed logins", peer_);
    return respond_json(out, 429,
                        "{\"code\":\"DENIED\",\"error\":\"too many failed logins from this address; try again in " +
                            std::to_string((wait + 999) / 1000) + " s\"}");
  }
  rapidjson::Document body;
  body.Parse(req.body.data(), req.body.size());
  auto text = [&](const char* key) -> std::optional<std::string> {
    if (body.HasParseError() || !body.IsObject() || !body.HasMember(key) || !body[key].IsString()) return std::nullopt;
    return std::string(body[key].GetString(), body[key].GetStringLength());
  };
  auto user = text("username"), password = text("password");
  if (!user || !password || user->empty())
    return respond_json(out, 200, R"({"code":"FAILED","error":"username and password are required"})");
  // The user's own record says their privileges; reading it checks the
  // password as every request's does (the auth plugin lets a user read
  // their own record whatever their privileges).
  rapidjson::Document params(rapidjson::kObjectType);
  auto& a = params.GetAllocator();
  params.AddMember("username", rapidjson::Value(*user, a), a);
  rapidjson::Value auth(rapidjson::kObjectType);
  auth.AddMember("username", rapidjson::Value(*user, a), a);
  auth.AddMember("password", rapidjson::Value(*password, a), a);
  params.AddMember("auth", auth, a);
  pending_user_ = std::move(*user);
  pending_password_ = std::move(*password);
  waiting_ = Waiting::kLogin;
  return ask("AUTH.GET " + protocol::to_json(params), out, ticket);
}

bool HttpSession::login_answered(std::string_view json, std::string& out) {
  std::string user = std::exchange(pending_user_, {});
  std::string password = std::exchange(pending_password_, {});
  rapidjson::Document reply;
  reply.Parse(json.data(), json.size());
  std::string code = !reply.HasParseError() && reply.IsObject() && reply.HasMember("code") && reply["code"].IsString()
                         ? reply["code"].GetString()
                         : "";
  if (code == "OK" && reply.HasMember("data") && reply["data"].IsObject()) {
    const auto& data = reply["data"];
    std::string privileges = data.HasMember("privileges") && data["privileges"].IsString()
                                 ? data["privileges"].GetString()
                                 : "";
    dash_.logins.succeeded(peer_);
    const dashboard::WebSession& s = dash_.sessions.open(user, std::move(password), privileges, Dashboard::now_ms());
    spdlog::info("dashboard: user \"{}\" logged in from {}", user, peer_);
    return respond_json(out, 200, "{\"code\":\"OK\",\"data\":{" + who(s) + "}}", WebSessions::set_cookie(s.id)) !=
           Step::kEnd;
  }
  if (code == "DENIED") {
    dash_.logins.failed(peer_, Dashboard::now_ms());
    spdlog::warn("dashboard: login of \"{}\" from {} refused", user, peer_);
    return respond_json(out, 200, R"({"code":"DENIED","error":"wrong username or password"})") != Step::kEnd;
  }
  if (code == "UNKNOWN")
    return respond_json(out, 200, R"({"code":"FAILED","error":"the auth plugin is not loaded: no login is needed"})") !=
           Step::kEnd;
  return respond_json(out, 200, json) != Step::kEnd;
}

Session::Step HttpSession::logout(const HttpRequest& req, std::string& out) {
  dashboard::WebSession* s = dash_.sessions.find(WebSessions::cookie_value(req.cookie), Dashboard::now_ms());
  if (!s) return respond_json(out, 200, R"({"code":"OK"})", WebSessions::set_cookie(""));
  if (!WebSessions::token_matches(*s, req.csrf_token))
    return respond(out, 403, "the X-CSRF-Token header is missing or is not this session's\n");
  if (!s->user.empty()) spdlog::info("dashboard: user \"{}\" logged out", s->user);
  dash_.sessions.end(s->id);
  return respond_json(out, 200, R"({"code":"OK"})", WebSessions::set_cookie(""));
}

// A stream is opened by the request whose answer it then follows: READ of
// the job, SERVERREAD, or STATUSALL, run as the session's user, so the auth
// plugin decides who may watch what.
Session::Step HttpSession::events(const HttpRequest& req, std::string& out, uint64_t ticket) {
  dashboard::WebSession* s = dash_.sessions.find(WebSessions::cookie_value(req.cookie), Dashboard::now_ms());
  if (!s) return respond(out, 401, "the session ended; log in again\n");
  stream_session_ = s->id;
  auto job = query_param(req.target, "job");
  auto server = query_param(req.target, "server");
  pending_since_ = 0;
  if (!req.last_event_id.empty()) {
    char* end = nullptr;
    unsigned long long since = std::strtoull(req.last_event_id.c_str(), &end, 10);
    if (end && *end == '\0') pending_since_ = since;
  }
  rapidjson::Document params(rapidjson::kObjectType);
  auto& a = params.GetAllocator();
  std::string command;
  if (job) {
    pending_kind_ = dashboard::EventStream::Kind::kJob;
    pending_job_ = *job;
    command = "READ";
    params.AddMember("jobname", rapidjson::Value(*job, a), a);
  } else if (server) {
    pending_kind_ = dashboard::EventStream::Kind::kServer;
    command = "SERVERREAD";
  } else {
    pending_kind_ = dashboard::EventStream::Kind::kJobs;
    command = "STATUSALL";
  }
  if (!s->user.empty()) {
    rapidjson::Value auth(rapidjson::kObjectType);
    auth.AddMember("username", rapidjson::Value(s->user, a), a);
    auth.AddMember("password", rapidjson::Value(s->password, a), a);
    params.AddMember("auth", auth, a);
  }
  waiting_ = Waiting::kEvents;
  return ask(command + " " + protocol::to_json(params), out, ticket);
}

bool HttpSession::events_answered(std::string_view json, std::string& out) {
  protocol::Code code = protocol::Code::kOk;
  std::string error;
  if (!protocol::parse_reply(json, code, error)) error = "the answer could not be read";
  if (code != protocol::Code::kOk || !error.empty())
    return respond(out, 403, (error.empty() ? std::string("refused") : error) + "\n") != Step::kEnd;
  HttpResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.policy = kDashboardPolicy;
  r.open_ended = true;
  append_response(out, r);
  stream_ = std::make_unique<dashboard::EventStream>(dash_.seg, &dash_.usage, pending_kind_, pending_job_,
                                                     pending_since_);
  stream_->begin(out, std::time(nullptr), Dashboard::now_ms());
  keep_alive_ = false;
  return true;
}

bool HttpSession::pump(std::string& out) {
  if (!stream_ || !dash_.sessions.alive(stream_session_)) return false;
  stream_->pump(out, std::time(nullptr), Dashboard::now_ms());
  return true;
}

}  // namespace backend::worker
