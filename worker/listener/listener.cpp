#include "worker/listener/listener.h"

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <memory>

#include "protocol/response.h"
#include "shm/job_table.h"
#include "worker/common/log.h"
#include "worker/common/pool.h"
#include "worker/common/server_log.h"
#include "worker/listener/framed_session.h"
#include "worker/listener/http_session.h"

namespace backend::worker {

Listener::Listener(WorkerContext& ctx)
    : ctx_(ctx), seg_(*ctx.segment), queries_(seg_), plugins_(ctx.plugins, protocol::Side::kListener) {
  if (auto err = plugins_.load(ctx_.config)) spdlog::error("listener: {}", *err);
  uv_loop_init(&loop_);
  uv_tcp_init(&loop_, &server_);
  if (int rc = uv_tcp_open(&server_, ctx_.listen_fd); rc < 0)
    spdlog::error("listener: cannot use the listening socket: {}", uv_strerror(rc));
  if (ctx_.unix_fd >= 0) {
    unix_server_ = std::make_unique<uv_pipe_t>();
    uv_pipe_init(&loop_, unix_server_.get(), 0);
    if (int rc = uv_pipe_open(unix_server_.get(), ctx_.unix_fd); rc < 0)
      spdlog::error("listener: cannot use the Unix socket: {}", uv_strerror(rc));
  }
  if (ctx_.http_fd >= 0) {
    http_server_ = std::make_unique<uv_tcp_t>();
    uv_tcp_init(&loop_, http_server_.get());
    if (int rc = uv_tcp_open(http_server_.get(), ctx_.http_fd); rc < 0)
      spdlog::error("listener: cannot use the HTTP socket: {}", uv_strerror(rc));
  }
  supervisor_ = std::make_unique<SupervisorClient>(&loop_, ctx_.channel_fd);
  health_ = std::make_unique<SupervisorHealth>(&loop_, seg_, *supervisor_);
  counters_ = std::make_unique<ApiCounters>(seg_.header(), plugins_.commands());
  router_ = std::make_unique<Router>(ctx_.config, queries_, plugins_, *supervisor_, *counters_);
  // /metrics keeps each running job's /proc file open (one per job, a
  // quarter of the fd limit at most), and the clients leave room for them.
  rlimit fds{};
  size_t proc_files =
      getrlimit(RLIMIT_NOFILE, &fds) == 0 ? std::min<size_t>(seg_.table().capacity(), fds.rlim_cur / 4) : 0;
  clients_ = std::make_unique<ClientConnections>(&loop_, ctx_.config, proc_files);
  metrics_ = std::make_unique<Metrics>(&loop_, seg_, plugins_.commands(), [this] { return clients_->count(); },
                                       proc_files);
  framed_sessions_ = [this](Router::Front& front) {
    return std::make_unique<FramedSession>(ctx_.config, *router_, front);
  };
  dashboard_ = std::make_unique<dashboard::Dashboard>(seg_);
  queries_.set_usage(&dashboard_->usage);
  queries_.set_pool(&loop_);
  http_sessions_ = [this](Router::Front& front) {
    return std::make_unique<HttpSession>(ctx_.config, *router_, *health_, *metrics_, *dashboard_, front);
  };
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
  uv_timer_init(&loop_, &usage_timer_);
  usage_timer_.data = this;
  sampling_ = true;
  auto sample = [](uv_timer_t* t) { static_cast<Listener*>(t->data)->sample_usage(); };
  sample(&usage_timer_);
  uv_timer_start(&usage_timer_, sample, dashboard::UsageHistory::kSampleMs, dashboard::UsageHistory::kSampleMs);
  plugins_.inited(plugins::Host{&loop_, &seg_, ctx_.data_root + "/plugins", ctx_.data_root + "/log",
                                ctx_.server_start, nullptr, {}},
                  [this](const std::string& plugin, const std::string& file, std::string content,
                         plugins::Host::Saved saved) {
                    save_plugin_file(plugin, file, std::move(content), std::move(saved));
                  });
  for (auto [server, sessions] : servers())
    if (int rc = clients_->serve(server, sessions); rc < 0) {
      spdlog::error("listener: listen failed: {}", uv_strerror(rc));
      stop();
      return;
    }
}

std::vector<std::pair<uv_stream_t*, ClientConnections::SessionFactory*>> Listener::servers() {
  std::vector<std::pair<uv_stream_t*, ClientConnections::SessionFactory*>> all{
      {reinterpret_cast<uv_stream_t*>(&server_), &framed_sessions_}};
  if (unix_server_) all.emplace_back(reinterpret_cast<uv_stream_t*>(unix_server_.get()), &framed_sessions_);
  if (http_server_) all.emplace_back(reinterpret_cast<uv_stream_t*>(http_server_.get()), &http_sessions_);
  return all;
}

// The supervisor writes the file: the listener may serve as a user that
// may write nothing (worker/supervisor/plugin_files.h).
void Listener::save_plugin_file(const std::string& plugin, const std::string& file, std::string content,
                                plugins::Host::Saved saved) {
  SaveFile save{plugin, file, std::move(content)};
  size_t size = encode(save).size();
  if (size > SupervisorClient::kMaxBody)
    return saved(plugin + "/" + file + " would be " + std::to_string(size) + " bytes, more than the " +
                 std::to_string(SupervisorClient::kMaxBody) + " the supervisor can be sent");
  supervisor_->save_file(save, [saved = std::move(saved)](std::string_view payload) {
    protocol::Code code;
    std::string error;
    if (!protocol::parse_reply(payload, code, error)) error = "the supervisor's answer could not be read";
    if (error.empty() && code == protocol::Code::kOk) return saved(std::nullopt);
    saved(error.empty() ? "the supervisor could not save it" : error);
  });
}

// Every running job's /proc, read on the thread pool: about 13 µs a job
// here, 85 ms at 6,500 jobs every kSampleMs, for which the loop answered
// nobody. A sample due while the last is still reading is skipped.
void Listener::sample_usage() {
  if (usage_reading_ || stopping_) return;
  usage_reading_ = true;
  struct Sample {
    dashboard::UsageHistory::Probes probes;
    double mono_s = 0;
    int64_t now_s = 0;
  };
  auto sample = std::make_shared<Sample>();
  sample->probes = dashboard::UsageHistory::take(seg_.table());
  const dashboard::UsageHistory* usage = &dashboard_->usage;
  run_in_pool(
      &loop_,
      [sample, usage] {
        sample->mono_s = double(uv_hrtime()) / 1e9;
        sample->now_s = std::time(nullptr);
        usage->read(sample->probes);
      },
      [this, sample] {
        usage_reading_ = false;
        if (!stopping_) dashboard_->usage.record(sample->probes, sample->mono_s, sample->now_s);
      });
}

void Listener::reload() { apply_published_config(ctx_, plugins_, "listener"); }

// Stops accepting, then lets every connection finish what it asked for
// (client_connections.h).
void Listener::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&ready_timer_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&ready_timer_), nullptr);
  if (sampling_) uv_close(reinterpret_cast<uv_handle_t*>(&usage_timer_), nullptr);
  for (auto [server, sessions] : servers()) uv_close(reinterpret_cast<uv_handle_t*>(server), nullptr);
  clients_->stop([this] { finish_stop(); });
}

// The signal handlers go last: closed, a second SIGTERM (the master's after
// an operator's) would kill the process with the default action mid-drain.
void Listener::finish_stop() {
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&sigterm_), reinterpret_cast<uv_handle_t*>(&sighup_),
                         reinterpret_cast<uv_handle_t*>(&sigusr1_)})
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  plugins_.close();
  supervisor_->close();
}

int run_listener(WorkerContext& ctx) {
  Listener listener(ctx);
  return listener.run();
}

}  // namespace backend::worker
