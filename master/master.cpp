#include "master/master.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>

#include "master/checked_config.h"
#include "master/daemon.h"
#include "master/listen_socket.h"
#include "master/now_ms.h"
#include "plugins/registry.h"
#include "shm/job_table.h"
#include "shm/recovery.h"
#include "shm/seqlock.h"
#include "worker/common/atomic_file.h"
#include "worker/ipc/channel.h"
#include "worker/common/context.h"
#include "worker/common/log.h"
#include "worker/common/server_log.h"
#include "worker/common/signal_name.h"
#include "worker/common/jobs_file.h"

namespace backend::master {
namespace {

// The supervisor stops every job within its stoptimeout before it exits.
constexpr int64_t kShutdownGraceMs = 120000;

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + worker::signal_name(WTERMSIG(status));
  return "stopped";
}

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGCHLD, SIGPIPE}) sigaddset(&set, s);
  return set;
}

// Job settings that cannot be read stop the start here, with the reason,
// rather than a supervisor that keeps dying.
std::optional<std::string> check_jobs_file(const std::string& path) {
  std::string error;
  auto text = worker::read_file(path, error);
  if (!error.empty()) return error;
  worker::JobMap jobs;
  if (text)
    if (auto err = worker::parse_jobs_file(*text, jobs)) return path + " " + *err;
  return std::nullopt;
}

// Closes every fd from 3 up except those in keep.
void close_all_but(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned from = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (static_cast<unsigned>(fd) > from) close_range(from, static_cast<unsigned>(fd) - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  if (close_range(from, ~0u, 0) == 0) return;
  // Kernels before 5.9 lack close_range: walk the open fds instead.
  std::vector<int> open_fds;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) open_fds.push_back(std::atoi(e->d_name));
    closedir(d);
  }
  for (int fd : open_fds)
    if (fd >= 3 && !std::binary_search(keep.begin(), keep.end(), fd)) close(fd);
}

// The master holds two pipe ends per job and passes them in flight: the
// soft limit of 1024 would not do for a full table.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int Master::run() {
  if (auto err = prepare()) {
    if (start_report_fd_ >= 0)
      report_start(start_report_fd_, *err);
    else
      std::cerr << "backend-server: " << *err << "\n";
    if (segment_) shm::Segment::remove(config_.shm_name);
    unlink_unix();
    return 1;
  }
  spdlog::info("backend-server {} started (pid {}), listening on {}:{}{}", BACKEND_VERSION, pid_,
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

// Everything that can fail for a reason a person must hear is done before
// daemonizing, while stderr still reaches them.
std::optional<std::string> Master::prepare() {
  if (auto err = load_checked_config(options_.config_file, options_.overrides, config_)) return err;
  worker::log_set_timezone(config_.timezone);
  worker::make_dirs(config_.data_dir);
  if (access(config_.data_dir.c_str(), W_OK) != 0)
    return "data folder " + config_.data_dir + " is not writable: " + std::strerror(errno);
  if (auto err = check_jobs_file(config_.data_dir + "/jobs.json")) return err;
  if (auto err = pidfile_.lock(config_.pidfile)) return err;
  if (auto err = prepare_listener_identity()) return err;
  std::vector<OrphanedJob> orphans = find_orphaned_jobs(config_.shm_name);
  try {
    segment_ = shm::Segment::create(config_.shm_name, {config_.job_capacity, config_.ring_bytes,
                                                       config_.server_ring_bytes});
  } catch (const shm::SegmentError& e) {
    return std::string(e.what());
  }
  std::string error;
  listen_fd_ = bind_listen_socket(config_.listen_host, config_.listen_port, error);
  if (listen_fd_ < 0) return error;
  if (auto err = bind_unix()) return err;
  if (options_.daemon) start_report_fd_ = daemonize();
  pid_ = getpid();
  if (auto err = pidfile_.write(pid_)) return err;
  segment_->header().master_pid = pid_;
  segment_->header().generation.fetch_add(1);
  worker::log_setup(config_.data_dir + "/log/server", !options_.daemon, config_.log_level);
  worker::log_to_ring(segment_->server_ring());
  take_orphans(orphans);
  setup_signals();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) spdlog::warn("cannot become a child subreaper: {}", std::strerror(errno));
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel_) != 0)
    return std::string("cannot create the worker channel: ") + std::strerror(errno);
  worker::size_channel_socket(channel_[0]);
  worker::size_channel_socket(channel_[1]);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, control_) != 0)
    return std::string("cannot create the control socket: ") + std::strerror(errno);
  // Room for bursts of HOLD and RELEASE: what a supervisor still has queued
  // when it dies is lost with it.
  worker::size_channel_socket(control_[0]);
  worker::size_channel_socket(control_[1]);
  raise_fd_limit();
  publish_config();
  return std::nullopt;
}

// Started as root, the listener is to serve as listener_user. The user is
// looked up now, while a wrong name can still stop the start with a
// reason. It is given nothing: the folders of the plugins that run in the
// listener are made here, root's, and the supervisor writes their files
// (worker/plugin_files.h), so that no other process of that user can
// change them (the auth plugin's users above all).
std::optional<std::string> Master::prepare_listener_identity() {
  if (geteuid() != 0 || config_.listener_user.empty()) return std::nullopt;
  Identity who;
  if (auto err = worker::resolve_identity(config_.listener_user, who)) return "listener_user: " + *err;
  if (who.uid == 0) return std::nullopt;
  // The listener enters the data folder before it gives up root, so the
  // folders above it need not be open to the user; the folder itself must.
  std::vector<std::string> folders{config_.data_dir, config_.data_dir + "/log", config_.data_dir + "/plugins"};
  for (const plugins::PluginInfo& info : plugins::all_plugins())
    if (info.side == plugins::Side::kListener) folders.push_back(config_.data_dir + "/plugins/" + std::string(info.name));
  for (const std::string& folder : folders) {
    worker::make_dirs(folder);
    if (auto err = check_enterable(folder, who))
      return "listener_user: " + *err + "; allow it (chmod o+x) or set listener_user to \"\"";
  }
  listener_identity_ = std::move(who);
  return std::nullopt;
}

std::optional<std::string> Master::bind_unix() {
  if (config_.unix_socket.empty()) return std::nullopt;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (!config_.unix_socket_owner.empty())
    if (auto err = resolve_owner(config_.unix_socket_owner, uid, gid)) return "unix_socket_owner: " + *err;
  std::string error;
  unix_fd_ = bind_unix_socket(config_.unix_socket, config_.unix_socket_mode, uid, gid, error);
  if (unix_fd_ < 0) return error;
  struct stat st {};
  if (stat(config_.unix_socket.c_str(), &st) == 0) unix_inode_ = st.st_ino;
  return std::nullopt;
}

// Only the socket this server made: one put there since by another server
// (after an operator removed ours) is that server's.
void Master::unlink_unix() {
  if (unix_fd_ < 0) return;
  close(unix_fd_);
  unix_fd_ = -1;
  struct stat st {};
  if (stat(config_.unix_socket.c_str(), &st) == 0 && st.st_ino == unix_inode_) unlink(config_.unix_socket.c_str());
}

// The first supervisor's TAKE hands them over, to adopt or stop as the
// config says; those that died since are started again if guarded.
void Master::take_orphans(const std::vector<OrphanedJob>& orphans) {
  for (const OrphanedJob& job : orphans) {
    if (job.alive)
      spdlog::warn("job \"{}\" (pid {}) still runs from a server that was killed; it will be {}", job.name, job.pid,
                   config_.orphaned_jobs == "stop" ? "stopped" : "adopted without its output");
    else
      spdlog::warn("job \"{}\" (pid {}) died with the server that was killed", job.name, job.pid);
    held_.add_orphan(job);
  }
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
    pollfd pfd[3] = {{signal_fd_, POLLIN, 0},
                     {control_[0], static_cast<short>(POLLIN | (control_out_.empty() ? 0 : POLLOUT)), 0},
                     {listener_log_.fd(), POLLIN, 0}};
    poll(pfd, 3, poll_timeout());
    if (pfd[1].revents & POLLIN) read_control();
    if (pfd[2].revents) listener_log_.read_available();
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
    for (Worker* w : {&supervisor_, &listener_})
      if (!shutting_down_ && w->pid == 0 && w->respawn_at >= 0 && now >= w->respawn_at) spawn(*w);
    if (shutting_down_ && kill_at_ >= 0 && now >= kill_at_) {
      spdlog::warn("workers did not stop within {} ms; killing them", kShutdownGraceMs);
      signal_workers(SIGKILL);
      kill_at_ = -1;
    }
  }
}

int Master::poll_timeout() const {
  int64_t next = -1;
  auto consider = [&](int64_t at) {
    if (at >= 0 && (next < 0 || at < next)) next = at;
  };
  for (const Worker* w : {&supervisor_, &listener_})
    if (w->pid == 0 && !shutting_down_) consider(w->respawn_at);
  if (shutting_down_) consider(kill_at_);
  if (held_.take_waiting()) consider(now_ms() + HeldJobs::kRetryMs);
  if (next < 0) return -1;
  return static_cast<int>(std::max<int64_t>(0, next - now_ms()));
}

void Master::on_signal(int signo) {
  switch (signo) {
    case SIGCHLD: reap(); break;
    case SIGHUP: reload(); break;
    case SIGTERM:
    case SIGINT: begin_shutdown(); break;
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

void Master::worker_died(Worker& w, int status) {
  pid_t pid = w.pid;
  w.pid = 0;
  auto& h = segment_->header();
  (w.kind == Kind::kListener ? h.listener_pid : h.supervisor_pid).store(0);
  auto report = shm::recover_after_death(*segment_, pid, w.kind == Kind::kSupervisor);
  if (report.locks || report.seqs)
    spdlog::warn("{} (pid {}) died holding {} lock(s) and {} open write(s); recovered", w.name, pid,
                 report.locks, report.seqs);
  if (shutting_down_) {
    spdlog::info("{} (pid {}) {}", w.name, pid, describe_exit(status));
    return;
  }
  int64_t delay = w.restart_now ? 0 : w.backoff.on_death(now_ms() - w.started_ms);
  w.restart_now = false;
  w.respawn_at = now_ms() + delay;
  spdlog::warn("{} (pid {}) {}; starting it again in {} ms", w.name, pid, describe_exit(status), delay);
}

void Master::spawn(Worker& w) {
  w.respawn_at = -1;
  if (w.kind == Kind::kListener) {
    std::string error;
    listener_log_fd_ = listener_log_.open(error);
    if (listener_log_fd_ < 0) spdlog::error("{}; the listener writes its log itself", error);
  }
  worker::log_before_fork();
  pid_t pid = fork();
  if (pid != 0 && listener_log_fd_ >= 0) {
    close(listener_log_fd_);
    listener_log_fd_ = -1;
  }
  if (pid < 0) {
    spdlog::error("cannot fork the {}: {}", w.name, std::strerror(errno));
    w.respawn_at = now_ms() + 1000;
    return;
  }
  if (pid == 0) child(w);
  w.pid = pid;
  w.spawned_before = true;
  w.started_ms = now_ms();
  auto& h = segment_->header();
  (w.kind == Kind::kListener ? h.listener_pid : h.supervisor_pid).store(pid);
}

void Master::child(Worker& w) {
  bool listener = w.kind == Kind::kListener;
  // A worker keeps only its own ends. Above all the pidfile lock must die
  // with the master, and the job pipes the master holds are not the
  // workers' to keep open.
  if (listener)
    close_all_but({listen_fd_, unix_fd_, channel_[0], listener_log_fd_});
  else
    close_all_but({channel_[1], control_[1]});
  worker::log_reopen();
  if (listener && listener_log_fd_ >= 0) worker::log_forward_to(listener_log_fd_);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != pid_) _exit(0);
  prctl(PR_SET_NAME, listener ? "backend-listen" : "backend-superv");
  // Until the worker's loop installs its handlers, a reload or logrotate
  // signal must not kill it with the default action.
  signal(SIGHUP, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  // Ctrl-C in a terminal reaches the whole process group; stopping is the
  // master's to order (the supervisor stops the jobs first), not the key's.
  signal(SIGINT, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  worker::WorkerContext ctx{config_,          &*segment_,           listener ? listen_fd_ : -1,
                            channel_[listener ? 0 : 1], listener ? -1 : control_[1], plugins::all_plugins(),
                            !w.spawned_before,        config_.data_dir,
                            listener ? unix_fd_ : -1, std::nullopt};
  if (listener && listener_identity_) serve_as(*listener_identity_, ctx);
  if (!listener && listener_identity_) ctx.listener_gid = listener_identity_->gid;
  int rc = listener ? mains_.listener(ctx) : mains_.supervisor(ctx);
  worker::log_flush();
  _exit(rc);
}

// The listener's socket is bound and the segment mapped: it needs root no
// more. Its data paths become relative to the data folder, entered while
// still root, so that the folders above it need not be open to the user.
void Master::serve_as(const Identity& who, worker::WorkerContext& ctx) {
  std::optional<std::string> err;
  if (chdir(config_.data_dir.c_str()) != 0)
    err = "cannot enter " + config_.data_dir + ": " + std::strerror(errno);
  if (!err) err = become(who);
  // A change of user clears the parent-death signal: set it again, and
  // look again whether the master is already gone.
  if (!err && (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != pid_)) _exit(0);
  if (err) {
    spdlog::error("listener: {}; it stops rather than serve as root", *err);
    worker::log_flush();
    _exit(1);
  }
  ctx.data_root = ".";
  auto need = [&](const std::string& path, int mode, const char* for_what) {
    if (access(path.c_str(), mode) != 0)
      spdlog::error("listener (user {}) cannot read {}/{}: {}; {}", who.name, config_.data_dir, path,
                    std::strerror(errno), for_what);
  };
  need("log", R_OK | X_OK, "the logexplorer plugin will fail");
  for (const plugins::PluginInfo& info : ctx.plugins)
    if (info.side == plugins::Side::kListener)
      need("plugins/" + std::string(info.name), R_OK | X_OK, "its plugin will fail");
}

void Master::signal_workers(int signo) {
  for (const Worker* w : {&listener_, &supervisor_})
    if (w->pid > 0) kill(w->pid, signo);
}

// A broken new config is refused whole; what only a restart can change is
// kept as it runs, with a warning.
void Master::reload() {
  conf::Config next;
  std::string held;
  if (auto err = load_checked_config(options_.config_file, options_.overrides, next, &config_, &held)) {
    spdlog::error("reload refused, the running config stays: {}", *err);
    return;
  }
  if (!held.empty()) spdlog::warn("reload: {} change only at the next start", held);
  bool moved = next.listen_host != config_.listen_host || next.listen_port != config_.listen_port;
  if (moved) {
    std::string error;
    int fd = bind_listen_socket(next.listen_host, next.listen_port, error);
    if (fd < 0) {
      spdlog::error("reload refused, the running config stays: {}", error);
      return;
    }
    close(listen_fd_);
    listen_fd_ = fd;
  }
  config_ = next;
  worker::log_set_level(config_.log_level);
  worker::log_set_timezone(config_.timezone);
  publish_config();
  signal_workers(SIGHUP);
  if (moved && listener_.pid > 0) {
    listener_.restart_now = true;
    kill(listener_.pid, SIGTERM);
  }
  spdlog::info("config reloaded from {}{}", config_.file,
               moved ? ", now listening on " + config_.listen_host + ":" + std::to_string(config_.listen_port) : "");
}

void Master::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  spdlog::info("stopping");
  signal_workers(SIGTERM);
  kill_at_ = now_ms() + kShutdownGraceMs;
}

void Master::cleanup() {
  if (listen_fd_ >= 0) close(listen_fd_);
  unlink_unix();
  shm::Segment::remove(config_.shm_name);
  spdlog::info("backend-server stopped");
  worker::log_flush();
  pidfile_.remove();
}

}  // namespace backend::master
