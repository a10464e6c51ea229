#include "worker/listener/listener.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <vector>

#include "protocol/commands.h"
#include "protocol/job_name.h"
#include "protocol/request.h"
#include "protocol/response.h"
#include "worker/common/log.h"
#include "worker/supervisor/plugin_files.h"
#include "worker/listener/queries.h"
#include "worker/common/server_log.h"

namespace backend::worker {
namespace {

using protocol::Code;

struct WriteReq {
  uv_write_t req;
  std::string data;
};

void alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf) {
  // Each read is consumed before the next one starts, so one buffer serves
  // every connection.
  static char storage[64 * 1024];
  *buf = uv_buf_init(storage, sizeof storage);
}

bool holds_password(const rapidjson::Value& params) { return params.IsObject() && params.HasMember("password"); }

// Params as the server log shows them: a password is never written there.
std::string loggable_params(const rapidjson::Value& params) {
  if (!holds_password(params)) return protocol::to_json(params);
  rapidjson::Document copy;
  copy.CopyFrom(params, copy.GetAllocator());
  copy["password"].SetString("***");
  return protocol::to_json(copy);
}

}  // namespace

Listener::Listener(WorkerContext& ctx)
    : ctx_(ctx),
      seg_(*ctx.segment),
      queries_(seg_),
      plugins_(ctx.plugins, protocol::Side::kListener),
      next_id_((uint64_t(getpid()) << 32) | 1) {
  if (auto err = plugins_.load(ctx_.config)) spdlog::error("listener: {}", *err);
  rlimit fds{};
  fd_room_ = getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur > 2 * kReservedFds ? fds.rlim_cur - kReservedFds
                                                                                   : kReservedFds;
  if (ctx_.config.max_connections > fd_room_)
    spdlog::warn("listener: max_connections is {}, but the fd limit ({}) leaves room for {}; more are refused",
                 ctx_.config.max_connections, fds.rlim_cur, fd_room_);
  uv_loop_init(&loop_);
  uv_tcp_init(&loop_, &server_);
  server_.data = this;
  if (int rc = uv_tcp_open(&server_, ctx_.listen_fd); rc < 0)
    spdlog::error("listener: cannot use the listening socket: {}", uv_strerror(rc));
  if (ctx_.unix_fd >= 0) {
    unix_server_ = std::make_unique<uv_pipe_t>();
    uv_pipe_init(&loop_, unix_server_.get(), 0);
    unix_server_->data = this;
    if (int rc = uv_pipe_open(unix_server_.get(), ctx_.unix_fd); rc < 0)
      spdlog::error("listener: cannot use the Unix socket: {}", uv_strerror(rc));
  }
  channel_ = std::make_unique<Channel>(&loop_, ctx_.channel_fd,
                                       [this](uint64_t id, std::string_view p) { on_supervisor(id, p); });
  auto on_signal = [](uv_signal_t* s, int signum) {
    auto* self = static_cast<Listener*>(s->data);
    if (signum == SIGTERM) self->stop();
    if (signum == SIGHUP) self->reload();
    if (signum == SIGUSR1) log_reopen();
  };
  for (auto [sig, handle] : {std::pair{SIGTERM, &sigterm_}, {SIGHUP, &sighup_}, {SIGUSR1, &sigusr1_}}) {
    uv_signal_init(&loop_, handle);
    handle->data = this;
    uv_signal_start(handle, on_signal, sig);
  }
}

int Listener::run() {
  uv_timer_init(&loop_, &ready_timer_);
  ready_timer_.data = this;
  wait_for_table();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  return 0;
}

// Clients wait in the socket's backlog until the supervisor has loaded the
// saved jobs into the table; answering before would deny jobs that exist.
void Listener::wait_for_table() {
  if (stopping_) return;
  if (!seg_.header().table_ready.load(std::memory_order_acquire)) {
    if (++ready_polls_ % 2000 == 0) spdlog::warn("listener: still waiting for the supervisor to load the jobs");
    uv_timer_start(&ready_timer_, [](uv_timer_t* t) { static_cast<Listener*>(t->data)->wait_for_table(); }, 5, 0);
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&ready_timer_), nullptr);
  plugins_.inited(plugins::Host{&loop_, &seg_, ctx_.data_root + "/plugins", ctx_.data_root + "/log",
                                ctx_.server_start, nullptr, {}},
                  [this](const std::string& plugin, const std::string& file, std::string content,
                         plugins::Host::Saved saved) {
                    save_plugin_file(plugin, file, std::move(content), std::move(saved));
                  });
  for (auto* server : servers())
    if (int rc = uv_listen(server, 1024, on_connection); rc < 0) {
      spdlog::error("listener: listen failed: {}", uv_strerror(rc));
      stop();
      return;
    }
}

std::vector<uv_stream_t*> Listener::servers() {
  std::vector<uv_stream_t*> all{reinterpret_cast<uv_stream_t*>(&server_)};
  if (unix_server_) all.push_back(reinterpret_cast<uv_stream_t*>(unix_server_.get()));
  return all;
}

void Listener::on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  static_cast<Listener*>(server->data)->accept_one(server);
}

void Listener::accept_one(uv_stream_t* server) {
  auto* c = new Connection;
  c->owner = this;
  c->decoder.set_limit(ctx_.config.max_frame_bytes);
  bool tcp = server->type == UV_TCP;
  if (tcp)
    uv_tcp_init(&loop_, &c->socket.tcp);
  else
    uv_pipe_init(&loop_, &c->socket.pipe, 0);
  uv_timer_init(&loop_, &c->timer);
  c->stream()->data = c->timer.data = c;
  c->open_handles = 2;
  open_.insert(c);
  if (uv_accept(server, c->stream()) < 0) {
    close(*c);
    return;
  }
  if (open_.size() > connection_limit()) return refuse(*c);
  if (tcp) uv_tcp_nodelay(&c->socket.tcp, 1);
  c->last_active = uv_now(&loop_);
  arm_timer(*c);
  uv_read_start(c->stream(), alloc_cb, on_read);
}

size_t Listener::connection_limit() const {
  return std::min<size_t>(ctx_.config.max_connections, fd_room_);
}

// Past the limit the client is told why, as the answer to whatever it asks
// first, instead of finding its connection cut without a word.
void Listener::refuse(Connection& c) {
  bool by_fds = connection_limit() < ctx_.config.max_connections;
  protocol::append_reply(c.out, Code::kFailed, {},
                         "the server already serves its limit of " + std::to_string(connection_limit()) +
                             " connections (" + (by_fds ? "its fd limit" : "max_connections") +
                             "); try again later");
  c.close_after_write = true;
  flush(c);
}

void Listener::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  Listener& self = *c->owner;
  if (nread == UV_EOF) {
    // A half-closed client still gets every answer to what it sent.
    c->peer_closed = true;
    uv_read_stop(stream);
    return self.process(*c);
  }
  if (nread < 0) return self.close(*c);
  if (nread == 0) return;
  c->last_active = uv_now(&self.loop_);
  bool was_mid_frame = c->decoder.mid_frame();
  uint64_t frames_before = c->frames;
  c->decoder.set_limit(self.ctx_.config.max_frame_bytes);  // follows a reload
  c->decoder.feed(buf->base, static_cast<size_t>(nread));
  self.process(*c);
  // Whatever is left half-received began with this read, unless this read
  // only added to a frame that is still not whole.
  if (!was_mid_frame || c->frames != frames_before) c->frame_started = c->last_active;
}

// Handles whole frames in order. A forwarded request pauses the connection
// until its reply is out, so that pipelined replies never overtake.
void Listener::process(Connection& c) {
  while (!c.waiting_id && !c.close_after_write && !c.closing && !throttle(c)) {
    std::string_view payload;
    auto status = c.decoder.next(payload);
    if (status == protocol::FrameDecoder::Status::kNeedMore) break;
    if (status == protocol::FrameDecoder::Status::kTooLarge) {
      protocol::append_reply(c.out, Code::kFailed, {},
                             "request of " + std::to_string(c.decoder.refused_length()) +
                                 " bytes is larger than the limit of " +
                                 std::to_string(ctx_.config.max_frame_bytes) + " bytes");
      c.close_after_write = true;
      uv_read_stop(c.stream());
      break;
    }
    handle(c, payload);
    ++c.frames;
  }
  flush(c);
}

// A client that sends requests but does not read the replies would make the
// listener hold them all: past a limit it is read from no more until it
// has taken in what it was sent.
bool Listener::throttle(Connection& c) {
  constexpr size_t kMaxUnsent = 4u << 20;
  size_t unsent = c.out.size() + uv_stream_get_write_queue_size(c.stream());
  if (unsent <= kMaxUnsent) return false;
  if (!c.throttled) uv_read_stop(c.stream());
  c.throttled = true;
  return true;
}

void Listener::handle(Connection& c, std::string_view payload) {
  protocol::Request req;
  if (auto err = protocol::parse_request(payload, req)) {
    protocol::append_reply(c.out, Code::kFailed, {}, *err);
    return;
  }
  const std::string& command = req.command;
  Route route;
  if (protocol::is_command_name(command) && !(route.info = protocol::find_core_command(command)))
    route.plugin = plugins_.find(command);
  if (!route.info && !route.plugin) {
    // The name can be as long as a frame: quote only its start.
    std::string shown = command.size() > 64 ? command.substr(0, 64) + "..." : command;
    protocol::append_reply(c.out, Code::kUnknown, {}, "unknown command \"" + shown + "\"");
    return;
  }
  plugins::Verdict verdict = plugins_.received(command, req.params);
  if (verdict.refusal) return refuse(c, command, *verdict.refusal);
  if (verdict.later) return admit_later(c, req, route, std::move(verdict.later));
  dispatch(c, req, route);
}

void Listener::refuse(Connection& c, const std::string& command, const plugins::Reply& r) {
  spdlog::info("{} {}: {}", command, protocol::code_name(r.code), r.error);
  protocol::append_reply(c.out, r.code, r.data, r.error);
}

// A plugin needs time to decide (auth hashing a password it has not seen):
// the connection waits, the request kept, as for any slow answer.
void Listener::admit_later(Connection& c, const protocol::Request& req, Route route,
                           std::function<void(plugins::Decided)> later) {
  auto held = std::make_shared<protocol::Request>();
  held->command = req.command;
  held->params.CopyFrom(req.params, held->params.GetAllocator());
  uint64_t id = next_plugin_call_++;
  wait_for_answer(c, id);
  later([this, id, held, route](std::optional<plugins::Reply> refusal) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // the client left meanwhile
    Connection& conn = *it->second;
    pending_.erase(it);
    conn.waiting_id = 0;
    if (refusal)
      refuse(conn, held->command, *refusal);
    else
      dispatch(conn, *held, route);
    resume_reading(conn);
  });
}

void Listener::dispatch(Connection& c, protocol::Request& req, const Route& route) {
  const std::string& command = req.command;
  const protocol::CommandInfo* info = route.info;
  const std::optional<PluginHost::Command>& plugin_command = route.plugin;
  protocol::take_auth(req.params);  // never seen, logged or stored past this point
  bool changes = info ? info->changes_state : plugin_command->spec->changes_state;
  bool needs_jobname = info ? info->needs_jobname : plugin_command->spec->needs_jobname;
  protocol::Side side = info ? info->side : plugin_command->side;
  // Changes are logged as the original did: the command, then its result.
  // Queries, the hot path, serialise nothing unless asked to. What goes to
  // the supervisor is serialised once, and logged as it is sent.
  std::string body;
  if (side == protocol::Side::kSupervisor) body = command + " " + protocol::to_json(req.params);
  auto logged = [&] {
    return !body.empty() && !holds_password(req.params) ? body : command + " " + loggable_params(req.params);
  };
  if (changes)
    spdlog::info("{}", logged());
  else if (ctx_.config.log_queries)
    spdlog::debug("{}", logged());
  std::string error;
  std::optional<std::string_view> job;
  if (needs_jobname && !(job = protocol::job_name_param(req.params, error))) {
    if (changes) spdlog::info("FAILED: {}", error);
    protocol::append_reply(c.out, Code::kFailed, {}, error);
    return;
  }
  if (side == protocol::Side::kSupervisor) return forward(c, command, std::move(body));
  if (info) {
    queries_.answer(command, job.value_or(""), req.params, c.out);
    return;
  }
  run_plugin(c, *plugin_command->plugin, command, req.params, changes);
}

// A listener plugin answers now or later; later, the connection waits for
// it as it waits for the supervisor.
void Listener::run_plugin(Connection& c, plugins::Plugin& plugin, const std::string& command,
                          const rapidjson::Value& params, bool changes_state) {
  struct Call {
    bool returned = false;
    std::optional<std::string> early;
  };
  auto call = std::make_shared<Call>();
  uint64_t id = next_plugin_call_++;
  plugin.handle(command, params, [this, id, call, changes_state](plugins::Reply r) {
    if (changes_state) log_result(r.code, r.error);
    std::string json = protocol::reply_json(r.code, r.data, r.error);
    if (!call->returned) {
      call->early = std::move(json);
      return;
    }
    on_supervisor(id, json);
  });
  call->returned = true;
  if (call->early) return protocol::append_frame(c.out, *call->early);
  wait_for_answer(c, id);
}

void Listener::forward(Connection& c, const std::string& command, std::string body) {
  if (body.size() > Channel::kMaxPayload) {
    protocol::append_reply(c.out, Code::kFailed, {},
                           command + " request is too large: " + std::to_string(body.size()) +
                               " bytes, at most " + std::to_string(Channel::kMaxPayload));
    spdlog::info("FAILED: {} request is too large", command);
    return;
  }
  uint64_t id = next_id_++;
  wait_for_answer(c, id);
  channel_->send(id, body);
}

void Listener::wait_for_answer(Connection& c, uint64_t id) {
  pending_[id] = &c;
  c.waiting_id = id;
  uv_read_stop(c.stream());
}

// The supervisor writes the file: the listener may serve as a user that
// may write nothing (worker/plugin_files.h).
void Listener::save_plugin_file(const std::string& plugin, const std::string& file, std::string content,
                                plugins::Host::Saved saved) {
  std::string body = save_file_request(plugin, file, content);
  if (body.size() > Channel::kMaxPayload)
    return saved(plugin + "/" + file + " would be " + std::to_string(body.size()) + " bytes, more than the " +
                 std::to_string(Channel::kMaxPayload) + " the supervisor can be sent");
  uint64_t id = next_id_++;
  calls_[id] = [saved = std::move(saved)](std::string_view payload) {
    rapidjson::Document reply;
    reply.Parse(payload.data(), payload.size());
    auto field = [&](const char* key) {
      auto it = reply.IsObject() ? reply.FindMember(key) : reply.MemberEnd();
      return reply.IsObject() && it != reply.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString())
                                                                                 : std::string();
    };
    if (field("code") == protocol::code_name(Code::kOk)) return saved(std::nullopt);
    std::string error = field("error");
    saved(error.empty() ? "the supervisor could not save it" : error);
  };
  channel_->send(id, body);
}

void Listener::on_supervisor(uint64_t id, std::string_view payload) {
  if (id == 0) return supervisor_restarted(payload);
  if (auto call = calls_.find(id); call != calls_.end()) {
    auto answered = std::move(call->second);
    calls_.erase(call);
    return answered(payload);
  }
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // its client left, or an earlier listener asked
  Connection& c = *it->second;
  pending_.erase(it);
  c.waiting_id = 0;
  protocol::append_frame(c.out, payload);
  resume_reading(c);
}

// A connection that waited for an answer goes on with what it sent next.
void Listener::resume_reading(Connection& c) {
  if (c.closing || c.waiting_id) return;
  if (!c.peer_closed && !c.throttled && !stopping_) uv_read_start(c.stream(), alloc_cb, on_read);
  process(c);
}

// A new supervisor says which request id its dead predecessor took last:
// those requests will never be answered, the ones after it will be.
void Listener::supervisor_restarted(std::string_view payload) {
  uint64_t taken = 0;
  if (payload.rfind("HELLO ", 0) == 0) taken = std::strtoull(std::string(payload.substr(6)).c_str(), nullptr, 10);
  auto taken_before = [taken](uint64_t id) { return (id >> 32) == (taken >> 32) && id <= taken; };
  std::vector<uint64_t> lost;
  for (auto& [id, c] : pending_)
    if (taken_before(id)) lost.push_back(id);
  for (auto& [id, call] : calls_)
    if (taken_before(id)) lost.push_back(id);
  for (uint64_t id : lost)
    on_supervisor(id, protocol::reply_json(Code::kFailed, {},
                                           "the supervisor stopped while handling this request; "
                                           "check whether it took effect before retrying"));
}

void Listener::flush(Connection& c) {
  if (!c.out.empty() && !c.closing) {
    uv_buf_t b = uv_buf_init(c.out.data(), static_cast<unsigned>(c.out.size()));
    int n = uv_try_write(c.stream(), &b, 1);
    if (n == static_cast<int>(c.out.size())) {
      c.out.clear();
    } else if (n >= 0 || n == UV_EAGAIN) {
      auto* w = new WriteReq;
      w->data = c.out.substr(n > 0 ? static_cast<size_t>(n) : 0);
      w->req.data = &c;
      c.out.clear();
      ++c.writes_in_flight;
      uv_buf_t rest = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
      uv_write(&w->req, c.stream(), &rest, 1, [](uv_write_t* req, int) {
        auto* wr = reinterpret_cast<WriteReq*>(req);
        auto* conn = static_cast<Connection*>(req->data);
        delete wr;
        --conn->writes_in_flight;
        conn->owner->note_write_progress(*conn);
        // Cancelled writes call back before the close does: conn is alive.
        if (!conn->closing) conn->owner->resume(*conn);
      });
      note_write_progress(c);
    } else {
      c.out.clear();
      return close(c);
    }
  }
  // Frames held back by throttle() still wait to be answered: go on with
  // them once the replies went out, before closing.
  if (c.throttled) {
    if (!throttle(c)) resume(c);
    return;
  }
  bool done = c.close_after_write || (c.peer_closed && !c.waiting_id);
  if (done && c.out.empty() && c.writes_in_flight == 0) close(c);
}

// After a write completed: go on with a connection held back by throttle().
void Listener::resume(Connection& c) {
  if (c.throttled && !throttle(c)) {
    c.throttled = false;
    if (!c.peer_closed && !c.waiting_id && !stopping_) uv_read_start(c.stream(), alloc_cb, on_read);
    return process(c);
  }
  if (!c.throttled) flush(c);
}

// The idle timer sees a client that takes in its replies as active: the
// write queue shrinking since this baseline is progress.
void Listener::note_write_progress(Connection& c) {
  c.last_active = uv_now(&loop_);
  c.queued_at_tick = uv_stream_get_write_queue_size(c.stream());
}

void Listener::close(Connection& c) {
  if (c.closing) return;
  c.closing = true;
  open_.erase(&c);
  if (stopping_ && open_.empty()) finish_stop();
  if (c.waiting_id) pending_.erase(c.waiting_id);
  auto done = [](uv_handle_t* h) {
    auto* conn = static_cast<Connection*>(h->data);
    if (--conn->open_handles == 0) delete conn;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(c.stream()), done);
  uv_close(reinterpret_cast<uv_handle_t*>(&c.timer), done);
}

void Listener::arm_timer(Connection& c) {
  uint64_t idle = uint64_t(ctx_.config.idle_timeout) * 1000;
  uint64_t quiet = uv_now(&loop_) - c.last_active;
  uv_timer_start(&c.timer, on_timer, quiet >= idle ? idle : idle - quiet, 0);
}

void Listener::on_timer(uv_timer_t* timer) {
  auto* c = static_cast<Connection*>(timer->data);
  Listener& self = *c->owner;
  uint64_t idle = uint64_t(self.ctx_.config.idle_timeout) * 1000;
  // A request the supervisor is still working on is not idleness, nor is a
  // client still taking in the replies it asked for.
  size_t queued = uv_stream_get_write_queue_size(c->stream());
  if (c->waiting_id || queued < c->queued_at_tick) c->last_active = uv_now(&self.loop_);
  c->queued_at_tick = queued;
  uint64_t now = uv_now(&self.loop_);
  if (now - c->last_active >= idle) return self.close(*c);
  // A frame trickling in a byte at a time is a stall too: it gets the same
  // time from its first byte as an idle connection gets.
  if (!c->waiting_id && !c->throttled && c->decoder.mid_frame() && now - c->frame_started >= idle)
    return self.close(*c);
  self.arm_timer(*c);
}

void Listener::reload() {
  conf::Config next;
  if (!published_config(seg_, next)) {
    spdlog::error("listener: the reloaded config could not be read; keeping the old one");
    return;
  }
  ctx_.config = next;
  log_set_level(next.log_level);
  log_set_timezone(next.timezone);
  plugins_.reconfigure(next);
}

// Stops accepting, then lets every connection finish what it asked for:
// a forwarded request still gets its answer and queued replies go out.
// Whatever is not done within kDrainMs is closed.
void Listener::stop() {
  constexpr uint64_t kDrainMs = 5000;
  if (stopping_) return;
  stopping_ = true;
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&ready_timer_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&ready_timer_), nullptr);
  uv_timer_init(&loop_, &drain_timer_);
  drain_timer_.data = this;
  uv_timer_start(&drain_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<Listener*>(t->data);
    for (Connection* c : self->open_connections()) self->close(*c);
    self->finish_stop();
  }, kDrainMs, 0);
  for (auto* server : servers()) uv_close(reinterpret_cast<uv_handle_t*>(server), nullptr);
  for (Connection* c : open_connections()) {
    c->close_after_write = true;
    uv_read_stop(c->stream());
    if (!c->waiting_id) flush(*c);
  }
  if (open_.empty()) finish_stop();
}

std::vector<Connection*> Listener::open_connections() { return {open_.begin(), open_.end()}; }

// The signal handlers go last: closed, a second SIGTERM (the master's after
// an operator's) would kill the process with the default action mid-drain.
void Listener::finish_stop() {
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&drain_timer_), reinterpret_cast<uv_handle_t*>(&sigterm_),
                         reinterpret_cast<uv_handle_t*>(&sighup_), reinterpret_cast<uv_handle_t*>(&sigusr1_)})
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  plugins_.close();
  channel_->close();
}

int run_listener(WorkerContext& ctx) {
  Listener listener(ctx);
  return listener.run();
}

}  // namespace backend::worker
