#include "master/master.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <cstdio>

#include "master/checked_config.h"
#include "master/daemon.h"
#include "master/listen_socket.h"
#include "master/now_ms.h"
#include "shm/job_table.h"
#include "shm/seqlock.h"
#include "worker/common/context.h"
#include "worker/common/log.h"
#include "worker/common/server_log.h"
#include "worker/common/version.h"

namespace backend::master {
namespace {

// The supervisor stops every job within its stoptimeout before it exits.
constexpr int64_t kShutdownGraceMs = 120000;

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE}) sigaddset(&set, s);
  return set;
}

}  // namespace

int Master::run() {
  if (auto err = prepare()) {
    if (start_report_fd_ >= 0)
      report_start(start_report_fd_, *err);
    else
      std::fprintf(stderr, "backend-server: %s\n", err->c_str());
    if (segment_) shm::Segment::remove(config_.shm_name);
    unlink_unix();
    return 1;
  }
  spdlog::info("backend-server {} started (pid {}), listening on {}:{}{}", server_version(), pid_,
               config_.listen_host, config_.listen_port,
               config_.unix_socket.empty() ? "" : " and on " + config_.unix_socket);
  spawn(supervisor_);
  spawn(listener_);
  report_start(start_report_fd_, "");
  start_report_fd_ = -1;
  loop();
  cleanup();
  return 0;
}

// Signals are blocked and read from a signalfd: no handler runs at all.
void Master::setup_signals() {
  sigset_t set = handled_signals();
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

void Master::publish_config() {
  std::string json = conf::config_to_json(config_);
  shm::Header& h = segment_->header();
  shm::seq_write(h.config_seq, [&] {
    h.config_len = static_cast<uint32_t>(std::min(json.size(), shm::kConfigBytes));
    std::memcpy(h.config, json.data(), h.config_len);
  });
}

void Master::loop() {
  while (!(shutting_down_ && listener_.pid == 0 && supervisor_.pid == 0)) {
    const int64_t before = now_ms();
    // A source whose window is on is left out (a negative fd), not polled
    // for nothing: its pipe's hang-up would wake the loop on every turn.
    bool control_due = control_pacing_.due(before), log_due = log_pacing_.due(before);
    short control_events = static_cast<short>((control_due ? POLLIN : 0) | (control_out_.empty() ? 0 : POLLOUT));
    pollfd pfd[3] = {{signal_fd_, POLLIN, 0},
                     {control_events ? control_[0] : -1, control_events, 0},
                     {log_due ? listener_log_.fd() : -1, POLLIN, 0}};
    poll(pfd, 3, poll_timeout());
    if (pfd[1].revents & POLLIN) control_pacing_.read(now_ms(), read_control() < kControlBatch);
    if (pfd[2].revents) log_pacing_.read(now_ms(), listener_log_.read_available());
    held_.retry_take(control_out_);
    if (!control_out_.empty()) worker::send_queued(control_[0], control_out_);
    // Dead workers are reaped and their locks freed before anything else
    // runs: handling a signal logs, and logging takes a lock a dead worker
    // may hold.
    std::vector<int> signals;
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof info) == sizeof info) signals.push_back(static_cast<int>(info.ssi_signo));
    if (std::find(signals.begin(), signals.end(), SIGCHLD) != signals.end()) reap();
    for (int signo : signals)
      if (signo != SIGCHLD) on_signal(signo);
    int64_t now = now_ms();
    // An upgrade waits for both workers to be gone, and starts none.
    if (upgrade_ == Upgrade::kStopping && !shutting_down_) {
      if (listener_.pid == 0 && supervisor_.pid == 0) exec_upgrade();
      continue;
    }
    for (Worker* w : {&supervisor_, &listener_})
      if (!shutting_down_ && w->pid == 0 && w->respawn_at >= 0 && now >= w->respawn_at) spawn(*w);
    // Ready once the supervisor took the jobs (the sockets were bound before
    // the workers began): a unit ordered after this one finds jobs running.
    if (!ready_told_ && !shutting_down_ && segment_->header().table_ready.load(std::memory_order_acquire)) {
      ready_told_ = true;
      notify_.ready("serving " + config_.listen_host + ":" + std::to_string(config_.listen_port));
    }
    if (shutting_down_ && kill_at_ >= 0 && now >= kill_at_) {
      spdlog::warn("workers did not stop within {} ms; killing them", kShutdownGraceMs);
      signal_workers(SIGKILL);
      kill_at_ = -1;
    }
  }
}

int Master::poll_timeout() const {
  const int64_t now = now_ms();
  int64_t next = -1;
  auto consider = [&](int64_t at) {
    if (at >= 0 && (next < 0 || at < next)) next = at;
  };
  for (const Worker* w : {&supervisor_, &listener_})
    if (w->pid == 0 && !shutting_down_) consider(w->respawn_at);
  if (shutting_down_) consider(kill_at_);
  // Until the supervisor took the jobs the loop looks every 10 ms, to tell
  // systemd at once (it has no fd to wake the loop with).
  if (!ready_told_ && notify_.enabled()) consider(now + 10);
  if (held_.take_waiting()) consider(now + HeldJobs::kRetryMs);
  consider(control_pacing_.wake_at(now));
  if (listener_log_.fd() >= 0) consider(log_pacing_.wake_at(now));
  if (next < 0) return -1;
  return static_cast<int>(std::max<int64_t>(0, next - now));
}

void Master::on_signal(int signo) {
  switch (signo) {
    case SIGCHLD: reap(); break;
    case SIGHUP: reload(); break;
    case SIGTERM:
    case SIGINT: begin_shutdown(); break;
    case SIGUSR2: begin_upgrade(); break;
    case SIGUSR1:
      worker::log_reopen();
      signal_workers(SIGUSR1);
      spdlog::info("log files reopened");
      break;
    default: break;
  }
}

void Master::reap() {
  // A dead supervisor's last HOLDs are in the control socket before any of
  // its jobs can be ours to reap: read them all first, or a job reaped
  // before its HOLD is read would be held, and handed on, as running.
  while (read_control() == kControlBatch) {
  }
  int status;
  for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
    if (pid == listener_.pid) {
      listener_log_.drain();  // its last lines before the news of its death
      worker_died(listener_, status);
    }
    else if (pid == supervisor_.pid) worker_died(supervisor_, status);
    else if (pid == upgrade_check_pid_) upgrade_checked(status);
    else orphan_exited(pid, status);
  }
}

// A job whose supervisor died came to us as subreaper. The supervisor (this
// one or the next) hears of the exit; while none runs, the table shows it.
void Master::orphan_exited(pid_t pid, int status) {
  // Every reaped orphan is told: the supervisor may track it without having
  // lent us its pipes (adopted after they were lost), and ignores the rest.
  control_out_.emplace_back(worker::Exit{pid, status});
  worker::send_queued(control_[0], control_out_);
  const HeldJobs::Entry* held = held_.reaped(pid, status);
  if (!held || supervisor_.pid != 0) return;
  segment_->table().record_exit_of(held->slot, pid, status, time(nullptr));
}

int Master::read_control() {
  worker::ControlMessage message;
  std::vector<int> fds;
  int i = 0;
  for (; i < kControlBatch; ++i) {
    // The master holds both ends: never closed while it lives.
    worker::Received got = worker::receive_control(control_[0], message, fds);
    if (got == worker::Received::kNone || got == worker::Received::kClosed) break;
    if (got == worker::Received::kDropped) continue;
    held_.on_message(message, fds, control_out_);
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
  return i;
}

void Master::signal_workers(int signo) {
  for (const Worker* w : {&listener_, &supervisor_})
    if (w->pid > 0) kill(w->pid, signo);
}

// A broken new config is refused whole; what only a restart can change is
// kept as it runs, with a warning.
void Master::reload() {
  notify_.reloading();
  // READY=1 again however the reload ends, refused or done.
  struct ReadyAgain {
    SystemdNotify& notify;
    ~ReadyAgain() { notify.ready(); }
  } ready_again{notify_};
  conf::Config next;
  std::string held;
  if (auto err = load_checked_config(options_.config_file, options_.overrides, next, &config_, &held)) {
    spdlog::error("reload refused, the running config stays: {}", *err);
    return;
  }
  if (!held.empty()) spdlog::warn("reload: {} change only at the next start", held);
  // Moved sockets are bound before anything changes: a port that cannot be
  // had refuses the reload whole.
  bool moved = next.listen_host != config_.listen_host || next.listen_port != config_.listen_port;
  bool http_moved = conf::http_listen_of(next) != conf::http_listen_of(config_);
  std::string error;
  int fd = moved ? bind_listen_socket(next.listen_host, next.listen_port, error) : -1;
  int http_fd = http_moved && error.empty() ? bind_http(next, error) : -1;
  if (!error.empty()) {
    if (fd >= 0) close(fd);
    spdlog::error("reload refused, the running config stays: {}", error);
    return;
  }
  if (moved) std::swap(listen_fd_, fd);
  if (http_moved) std::swap(http_fd_, http_fd);
  for (int old : {fd, http_fd})
    if (old >= 0) close(old);
  config_ = next;
  worker::log_set_level(config_.log_level);
  worker::log_set_timezone(config_.timezone);
  publish_config();
  signal_workers(SIGHUP);
  if ((moved || http_moved) && listener_.pid > 0) {
    listener_.restart_now = true;
    kill(listener_.pid, SIGTERM);
  }
  std::string where = http_listen_of(config_).empty() ? "no HTTP face" : "HTTP on " + http_listen_of(config_);
  spdlog::info("config reloaded from {}{}{}", config_.file,
               moved ? ", now listening on " + config_.listen_host + ":" + std::to_string(config_.listen_port) : "",
               http_moved ? ", now " + where : "");
}

void Master::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  notify_.stopping();
  spdlog::info("stopping");
  signal_workers(SIGTERM);
  kill_at_ = now_ms() + kShutdownGraceMs;
}

void Master::cleanup() {
  for (int fd : {listen_fd_, http_fd_})
    if (fd >= 0) close(fd);
  unlink_unix();
  shm::Segment::remove(config_.shm_name);
  spdlog::info("backend-server stopped");
  worker::log_flush();
  pidfile_.remove();
}

}  // namespace backend::master
