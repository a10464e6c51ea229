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
#pragma once

#include <optional>
#include <string>

#include "conf/config.h"
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
              Router::Front& front);

  void feed(const char* data, size_t size) override;
  bool mid_request() const override { return reader_.mid_request(); }
  Step step(std::string& out, uint64_t ticket) override;
  bool answered(std::string framed_reply, std::string& out) override;
  void refuse(std::string_view why, std::string& out) override;

 private:
  Step serve(HttpRequest& req, std::string& out, uint64_t ticket);
  Step api(HttpRequest& req, std::string_view command, std::string& out, uint64_t ticket);
  Step health(std::string& out, uint64_t ticket);
  Step respond(std::string& out, int status, std::string_view body, std::string_view allow = {},
               std::string_view content_type = "text/plain; charset=utf-8");
  std::optional<std::string> foreign(const HttpRequest& req) const;

  const conf::Config& config_;
  Router& router_;
  SupervisorHealth& health_;
  Metrics& metrics_;
  Router::Front& front_;
  HttpRequestReader reader_;
  bool keep_alive_ = true;
  enum class Waiting { kApi, kHealth } waiting_ = Waiting::kApi;
};

}  // namespace backend::worker
