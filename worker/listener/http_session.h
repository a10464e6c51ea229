// The HTTP face (PROTOCOL.md, "The HTTP face"): HTTP/1.1 with keep-alive on
// http_listen. POST /api/COMMAND takes the params as its JSON body and
// answers, with 200, exactly the JSON the socket protocol answers, through
// the same router; GET /healthz says whether both workers run; GET /metrics
// is for Prometheus (metrics.h).
//
// Anything reachable over HTTP is hostile, auth or not: a Host that is not
// this server's (its address, or a name in http_hosts) is refused, against
// DNS rebinding; so is an Origin that is not the server's own, against
// cross-site requests; and /api/ takes only application/json, which a page
// of another site cannot send without a preflight, never allowed here.
//
// The dashboard (dashboard/README.md) is served here too: its page at / and
// /ui/, its logins, and its event streams; a request that carries its
// session cookie must carry the session's CSRF token, and runs as the
// session's user.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "conf/config.h"
#include "worker/listener/dashboard/dashboard.h"
#include "worker/listener/dashboard/event_stream.h"
#include "worker/listener/http_request.h"
#include "worker/listener/http_response.h"
#include "worker/listener/metrics.h"
#include "worker/listener/router.h"
#include "worker/listener/session.h"
#include "worker/listener/supervisor_health.h"

namespace backend::worker {

class HttpSession : public Session {
 public:
  HttpSession(const conf::Config& config, Router& router, SupervisorHealth& health, Metrics& metrics,
              dashboard::Dashboard& dashboard, Router::Front& front);

  void feed(const char* data, size_t size) override;
  bool mid_request() const override { return reader_.mid_request(); }
  Step step(std::string& out, uint64_t ticket) override;
  bool answered(std::string framed_reply, std::string& out) override;
  void refuse(std::string_view why, std::string& out) override;
  void set_peer(std::string address) override { peer_ = std::move(address); }
  bool streaming() const override { return stream_ != nullptr; }
  bool pump(std::string& out) override;

 private:
  Step serve(HttpRequest& req, std::string& out, uint64_t ticket);
  Step api(HttpRequest& req, std::string_view command, std::string& out, uint64_t ticket);
  Step health(std::string& out, uint64_t ticket);
  Step respond(std::string& out, int status, std::string_view body, std::string_view allow = {},
               std::string_view content_type = "text/plain; charset=utf-8");
  std::optional<std::string> foreign(const HttpRequest& req) const;
  // The dashboard's paths.
  Step ui(HttpRequest& req, std::string_view path, std::string& out, uint64_t ticket);
  Step asset(const HttpRequest& req, std::string_view path, std::string& out);
  Step session_info(const HttpRequest& req, std::string& out);
  Step login(HttpRequest& req, std::string& out, uint64_t ticket);
  Step logout(const HttpRequest& req, std::string& out);
  Step events(const HttpRequest& req, std::string& out, uint64_t ticket);
  bool login_answered(std::string_view json, std::string& out);
  bool events_answered(std::string_view json, std::string& out);
  // Routes a request the dashboard makes for itself; kWaiting, or the reply
  // handed to answered() at once.
  Step ask(std::string payload, std::string& out, uint64_t ticket);
  Step respond_json(std::string& out, int status, std::string_view body, std::string_view headers = {});
  Step send(std::string& out, HttpResponse response);

  const conf::Config& config_;
  Router& router_;
  SupervisorHealth& health_;
  Metrics& metrics_;
  Router::Front& front_;
  dashboard::Dashboard& dash_;
  HttpRequestReader reader_;
  bool keep_alive_ = true;
  enum class Waiting { kApi, kHealth, kLogin, kEvents, kMetrics } waiting_ = Waiting::kApi;
  std::string peer_;
  // What the request being answered later needs once it is: the login's
  // credentials, the stream asked for.
  std::string pending_user_, pending_password_;
  dashboard::EventStream::Kind pending_kind_ = dashboard::EventStream::Kind::kJobs;
  std::string pending_job_;
  uint64_t pending_since_ = 0;
  std::unique_ptr<dashboard::EventStream> stream_;
  std::string stream_session_;  // the stream ends with the session it was opened in
};

}  // namespace backend::worker
