#include "backend/client.h"

#include "connection.h"

namespace backend::client {

Backend::Backend() = default;
Backend::Backend(Options options) : options_(std::move(options)) {}
Backend::~Backend() = default;

void Backend::init(const std::string& server_ip, uint16_t server_port) {
  std::lock_guard lock(mu_);
  options_.host = server_ip;
  options_.port = server_port;
  conn_.reset();
}

void Backend::set_timeouts(std::chrono::milliseconds connect, std::chrono::milliseconds call) {
  std::lock_guard lock(mu_);
  options_.connect_timeout = connect;
  options_.call_timeout = call;
}

void Backend::set_max_reply_bytes(uint32_t bytes) {
  std::lock_guard lock(mu_);
  options_.max_reply_bytes = bytes;
}

void Backend::set_auth(const std::string& username, const std::string& password) {
  std::lock_guard lock(mu_);
  auth_user_ = username;
  auth_password_ = password;
  has_auth_ = true;
}

void Backend::close() {
  std::lock_guard lock(mu_);
  conn_.reset();
}

Result Backend::call(std::string_view command, const Params& params) { return send(command, params); }

Result Backend::send(std::string_view command, Params params) {
  std::lock_guard lock(mu_);
  if (has_auth_ && !params.has("auth"))
    params.set("auth", Params().set("username", auth_user_).set("password", auth_password_));
  std::string payload(command);
  if (!params.empty()) payload += " " + params.json();

  for (int attempt = 0;; ++attempt) {
    bool reused = conn_ && conn_->usable();
    if (!reused) {
      std::string error;
      conn_ = Connection::open(options_, error);
      if (!conn_) return Result::transport_error(error);
    }
    std::string error;
    bool reply_started = false;
    auto reply = conn_->exchange(payload, options_, error, reply_started);
    if (reply) return Result::from_reply(std::move(*reply));
    conn_.reset();  // its state is unknown: never reused
    // The server closed a kept connection just as the request went out: it
    // never read it (it answers whatever it read before closing), so the
    // request is sent once more, on a new connection.
    bool closed_unread = reused && !reply_started && error.find("timed out") == std::string::npos;
    if (!closed_unread || attempt > 0) return Result::transport_error(error);
  }
}

Result Backend::with_job(std::string_view command, const std::string& jobname, Params params) {
  params.set("jobname", jobname);
  return send(command, std::move(params));
}

// --- jobs

Result Backend::add(const std::string& jobname, const std::string& command, const Params& setting) {
  Params p(setting);
  p.set("command", command);
  return with_job("ADD", jobname, std::move(p));
}
Result Backend::remove(const std::string& jobname, const Params& setting) { return with_job("DELETE", jobname, setting); }
Result Backend::update(const std::string& jobname, const Params& setting) { return with_job("UPDATE", jobname, setting); }
Result Backend::get(const std::string& jobname, const Params& setting) { return with_job("GET", jobname, setting); }
Result Backend::getall(const Params& setting) { return send("GETALL", setting); }
Result Backend::start(const std::string& jobname, const Params& setting) { return with_job("START", jobname, setting); }
Result Backend::stop(const std::string& jobname, const Params& setting) { return with_job("STOP", jobname, setting); }
Result Backend::restart(const std::string& jobname, const Params& setting) {
  return with_job("RESTART", jobname, setting);
}
Result Backend::status(const std::string& jobname, const Params& setting) { return with_job("STATUS", jobname, setting); }
Result Backend::statusall(const Params& setting) { return send("STATUSALL", setting); }
Result Backend::read(const std::string& jobname, const Params& setting) { return with_job("READ", jobname, setting); }
Result Backend::mem(const std::string& jobname, const Params& setting) { return with_job("MEM", jobname, setting); }
Result Backend::memall(const Params& setting) { return send("MEMALL", setting); }
Result Backend::servermem(const Params& setting) { return send("SERVERMEM", setting); }
Result Backend::serverread(const Params& setting) { return send("SERVERREAD", setting); }

}  // namespace backend::client
