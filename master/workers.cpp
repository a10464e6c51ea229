// The workers' lives as the master sees them: forked, each keeping only its
// own fds, the listener giving up root; reaped and started again.
#include "master/master.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "master/now_ms.h"
#include "master/wakeup_policy.h"
#include "plugins/registry.h"
#include "shm/recovery.h"
#include "worker/common/log.h"
#include "worker/common/server_log.h"
#include "worker/common/signal_name.h"

namespace backend::master {
namespace {

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + worker::signal_name(WTERMSIG(status));
  return "stopped";
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

}  // namespace

void Master::worker_died(Worker& w, int status) {
  pid_t pid = w.pid;
  w.pid = 0;
  auto& h = segment_->header();
  (w.kind == Kind::kListener ? h.listener_pid : h.supervisor_pid).store(0);
  auto report = shm::recover_after_death(*segment_, pid, w.kind == Kind::kSupervisor);
  if (report.locks || report.seqs)
    spdlog::warn("{} (pid {}) died holding {} lock(s) and {} open write(s); recovered", w.name, pid,
                 report.locks, report.seqs);
  if (shutting_down_ || upgrade_ == Upgrade::kStopping) {
    spdlog::info("{} (pid {}) {}{}", w.name, pid, describe_exit(status),
                 shutting_down_ ? "" : ", for the upgrade");
    return;
  }
  h.worker_restarts[w.kind == Kind::kListener ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
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
    close_all_but({listen_fd_, unix_fd_, http_fd_, channel_[0], listener_log_fd_});
  else
    close_all_but({channel_[1], control_[1]});
  worker::log_reopen();
  if (listener && listener_log_fd_ >= 0) worker::log_forward_to(listener_log_fd_);
  prctl(PR_SET_PDEATHSIG, worker::master_death_signal());
  if (getppid() != pid_) _exit(0);
  prctl(PR_SET_NAME, listener ? "backend-listen" : "backend-superv");
  wake_as_usual();
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
                            listener ? unix_fd_ : -1, std::nullopt,   listener ? http_fd_ : -1};
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
  if (!err && (prctl(PR_SET_PDEATHSIG, worker::master_death_signal()) != 0 || getppid() != pid_)) _exit(0);
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

}  // namespace backend::master
