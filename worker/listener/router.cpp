#include "worker/listener/router.h"

#include "protocol/frame.h"
#include "protocol/job_name.h"
#include "protocol/response.h"
#include "worker/common/log.h"
#include "worker/common/server_log.h"

namespace backend::worker {
namespace {

using protocol::Code;

bool holds_password(const rapidjson::Value& params) { return params.IsObject() && params.HasMember("password"); }

// Params as the server log shows them: a password is never written there.
std::string loggable_params(const rapidjson::Value& params) {
  if (!holds_password(params)) return protocol::to_json(params);
  rapidjson::Document copy;
  copy.CopyFrom(params, copy.GetAllocator());
  copy["password"].SetString("***");
  return protocol::to_json(copy);
}

std::string framed(std::string_view json) {
  std::string out;
  protocol::append_frame(out, json);
  return out;
}

}  // namespace

// Who asked, for an answer that comes later: small, copied into the
// callbacks of the slow paths only.
struct Router::Call {
  Router* router;
  Front* front;
  uint64_t ticket;
  const Command* command;
  void answer(std::string framed_reply) const {
    router->counters_.count_reply(command, std::string_view(framed_reply).substr(protocol::kFrameHeaderSize));
    front->answered(ticket, std::move(framed_reply));
  }
};

Router::Router(const conf::Config& config, Queries& queries, PluginHost& plugins, SupervisorClient& supervisor,
               ApiCounters& counters)
    : config_(config), queries_(queries), plugins_(plugins), supervisor_(supervisor), counters_(counters) {}

// Every reply given at once is counted here, every later one as it is
// handed on (Call::answer).
bool Router::route(std::string_view payload, std::string& out, Front& front, uint64_t ticket) {
  size_t mark = out.size();
  const Command* found = nullptr;
  if (!answer(payload, out, front, ticket, found)) return false;
  counters_.count_reply(found, std::string_view(out).substr(mark + protocol::kFrameHeaderSize));
  return true;
}

bool Router::answer(std::string_view payload, std::string& out, Front& front, uint64_t ticket,
                    const Command*& found) {
  protocol::Request req;
  if (auto err = protocol::parse_request(payload, req)) {
    protocol::append_reply(out, Code::kFailed, {}, *err);
    return true;
  }
  const std::string& command = req.command;
  found = protocol::is_command_name(command) ? plugins_.commands().find(command) : nullptr;
  if (!found) {
    // The name can be as long as a frame: quote only its start.
    std::string shown = command.size() > 64 ? command.substr(0, 64) + "..." : command;
    protocol::append_reply(out, Code::kUnknown, {}, "unknown command \"" + shown + "\"");
    return true;
  }
  plugins::Verdict verdict = plugins_.received(command, req.params);
  if (verdict.refusal) {
    refuse(command, *verdict.refusal, out);
    return true;
  }
  Call call{this, &front, ticket, found};
  if (verdict.later) return admit_later(call, req, std::move(verdict.later));
  return dispatch(call, req, out);
}

bool Router::admits_anyone(std::string_view command) {
  rapidjson::Document no_params(rapidjson::kObjectType);
  plugins::Verdict verdict = plugins_.received(command, no_params);
  return !verdict.refusal && !verdict.later;
}

void Router::refuse(const std::string& command, const plugins::Reply& r, std::string& out) {
  spdlog::info("{} {}: {}", command, protocol::code_name(r.code), r.error);
  if (r.code == protocol::Code::kDenied) counters_.auth_failure();
  protocol::append_reply(out, r.code, r.data, r.error);
}

// A plugin needs time to decide (auth hashing a password it has not seen):
// the request is kept, and goes on only if its client still waits.
bool Router::admit_later(const Call& call, const protocol::Request& req, std::function<void(plugins::Decided)> later) {
  auto held = std::make_shared<protocol::Request>();
  held->command = req.command;
  held->params.CopyFrom(req.params, held->params.GetAllocator());
  later([this, call, held](std::optional<plugins::Reply> refusal) {
    if (!call.front->waiting(call.ticket)) return;  // the client left meanwhile
    std::string out;
    if (refusal)
      refuse(held->command, *refusal, out);
    else if (!dispatch(call, *held, out))
      return;  // answered later still
    call.answer(std::move(out));
  });
  return false;
}

bool Router::dispatch(const Call& call, protocol::Request& req, std::string& out) {
  const Command& cmd = *call.command;
  const std::string& command = req.command;
  rapidjson::Value auth = protocol::take_auth(req.params);  // never seen, logged or stored past this point
  // Who asked, for the log: the user's name (a password never goes there).
  std::string by;
  if (auth.IsObject() && auth.HasMember("username") && auth["username"].IsString())
    by = " (user \"" + std::string(auth["username"].GetString(), auth["username"].GetStringLength()) + "\")";
  // Changes are logged as the original did: the command, then its result.
  // Queries, the hot path, serialise nothing unless asked to. What goes to
  // the supervisor is serialised once, and logged as it is sent.
  std::string body;
  if (cmd.side == protocol::Side::kSupervisor) body = command + " " + protocol::to_json(req.params);
  auto logged = [&] {
    return !body.empty() && !holds_password(req.params) ? body : command + " " + loggable_params(req.params);
  };
  if (cmd.changes_state)
    spdlog::info("{}{}", logged(), by);
  else if (config_.log_queries)
    spdlog::debug("{}", logged());
  std::string error;
  std::optional<std::string_view> job;
  if (cmd.needs_jobname && !(job = protocol::job_name_param(req.params, error))) {
    if (cmd.changes_state) spdlog::info("FAILED: {}", error);
    protocol::append_reply(out, Code::kFailed, {}, error);
    return true;
  }
  if (cmd.side == protocol::Side::kSupervisor) return forward(call, command, std::move(body), out);
  if (cmd.core)
    return queries_.answer(cmd.core->id, job.value_or(""), req.params, out,
                           [call](std::string framed_reply) { call.answer(std::move(framed_reply)); });
  return run_plugin(call, req, out);
}

// A listener plugin answers now or later.
bool Router::run_plugin(const Call& call, const protocol::Request& req, std::string& out) {
  struct Answered {
    bool returned = false;
    std::optional<std::string> early;
  };
  auto answered = std::make_shared<Answered>();
  const Command& cmd = *call.command;
  cmd.spec->handler(*cmd.plugin, req.params, [call, answered](plugins::Reply r) {
    if (call.command->changes_state) log_result(r.code, r.error);
    std::string json = protocol::reply_json(r.code, r.data, r.error);
    if (!answered->returned) {
      answered->early = std::move(json);
      return;
    }
    call.answer(framed(json));
  });
  answered->returned = true;
  if (!answered->early) return false;
  protocol::append_frame(out, *answered->early);
  return true;
}

bool Router::forward(const Call& call, const std::string& command, std::string body, std::string& out) {
  if (body.size() > SupervisorClient::kMaxBody) {
    protocol::append_reply(out, Code::kFailed, {},
                           command + " request is too large: " + std::to_string(body.size()) + " bytes, at most " +
                               std::to_string(SupervisorClient::kMaxBody));
    spdlog::info("FAILED: {} request is too large", command);
    return true;
  }
  supervisor_.request(body, [call](std::string_view reply) { call.answer(framed(reply)); });
  return false;
}

}  // namespace backend::worker
