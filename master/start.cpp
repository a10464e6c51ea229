// What the master does before it forks the workers: everything that can
// fail for a reason a person must hear (the config, the data folder, the
// jobs file, the pidfile, the listener's user, the shared memory, the
// sockets) is done here, while stderr still reaches them.
#include "master/master.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "master/checked_config.h"
#include "master/daemon.h"
#include "master/listen_socket.h"
#include "master/wakeup_policy.h"
#include "plugins/registry.h"
#include "worker/common/atomic_file.h"
#include "worker/common/jobs_file.h"
#include "worker/common/log.h"
#include "worker/common/server_log.h"
#include "worker/ipc/channel.h"

namespace backend::master {
namespace {

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

std::optional<std::string> Master::prepare() {
  if (const char* state_fd = getenv(UpgradeState::kEnv)) return prepare_upgraded(state_fd);
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
  http_fd_ = bind_http(config_, error);
  if (!error.empty()) return error;
  if (auto err = bind_unix()) return err;
  if (options_.daemon) start_report_fd_ = daemonize();
  pid_ = getpid();
  if (auto err = pidfile_.write(pid_)) return err;
  segment_->header().master_pid = pid_;
  segment_->header().generation.fetch_add(1);
  worker::log_setup(config_.data_dir + "/log/server", !options_.daemon, config_.log_level);
  worker::log_to_ring(segment_->server_ring());
  take_orphans(orphans);
  return prepare_channels();
}

// What every start makes anew, a plain one and an upgraded one alike: the
// signals, the subreaper, the scheduling policy, the channels to the workers, the fd limit.
std::optional<std::string> Master::prepare_channels() {
  setup_signals();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) spdlog::warn("cannot become a child subreaper: {}", std::strerror(errno));
  if (auto err = yield_on_wakeups()) spdlog::warn("{}", *err);
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

int Master::bind_http(const conf::Config& config, std::string& error) {
  if (config.http_port == 0) return -1;
  int fd = bind_listen_socket(config.http_host, config.http_port, error);
  if (fd < 0) error = "http_listen: " + error;
  return fd;
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

}  // namespace backend::master
