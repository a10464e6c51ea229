// The upgrade in place (SIGUSR2, as nginx does on USR2): the binary at the
// server's path takes over the running server in the same process, so the
// jobs, the master's children, stay its children under the same pids.
//
//   1. The new binary is asked first (--check-upgrade, a child of its own):
//      its config, and whether it reads this shared memory's layout. If it
//      says no, or cannot run, nothing has changed and the old one serves on.
//   2. The workers go: the listener drains its clients (they see a
//      reconnect at most); the supervisor is killed, as in a crash, whose
//      every case is already survived: the master holds the jobs' pipes, and
//      no line is lost or logged twice (shm::LogIntent).
//   3. The master execs the new binary with the sockets, the pidfile and the
//      held pipes kept open, named in a versioned message (upgrade_state.h).
//      If the exec fails, the old master starts its workers again.
//   4. The new master (prepare_upgraded) takes all of it back, attaches the
//      segment instead of making one, and starts new workers; the new
//      supervisor takes the jobs from it as after a crash.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "master/master.h"
#include "master/checked_config.h"
#include "master/now_ms.h"
#include "worker/common/log.h"
#include "worker/common/server_log.h"
#include "worker/common/version.h"

namespace backend::master {
namespace {

void set_cloexec(int fd, bool on) {
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0) fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (std::string& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

}  // namespace

// The path this process was started from, read at start: once a package
// replaced the file, /proc/self/exe names the old, deleted one.
std::string Master::own_path() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string path(buf, static_cast<size_t>(n));
  const std::string deleted = " (deleted)";
  if (path.size() > deleted.size() && path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
    path.resize(path.size() - deleted.size());
  return path;
}

void Master::begin_upgrade() {
  if (shutting_down_ || upgrade_ != Upgrade::kNone) {
    spdlog::warn("upgrade: {}", shutting_down_ ? "the server is stopping" : "one is under way already");
    return;
  }
  if (exe_path_.empty()) {
    spdlog::error("upgrade refused: the server's own path is unknown");
    return;
  }
  std::vector<std::string> args = options_.argv;
  if (args.empty()) args.push_back(exe_path_);
  args[0] = exe_path_;
  args.push_back("--check-upgrade");
  pid_t pid = fork();
  if (pid < 0) {
    spdlog::error("upgrade refused: cannot fork the check: {}", std::strerror(errno));
    return;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    auto argv = c_argv(args);
    execv(exe_path_.c_str(), argv.data());
    _exit(127);
  }
  upgrade_ = Upgrade::kChecking;
  upgrade_check_pid_ = pid;
  spdlog::info("upgrade: asking {} whether it can take over", exe_path_);
}

// The check's end, from reap().
void Master::upgrade_checked(int status) {
  upgrade_check_pid_ = 0;
  if (shutting_down_) {
    upgrade_ = Upgrade::kNone;
    return;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    upgrade_ = Upgrade::kNone;
    spdlog::error("upgrade refused: {} --check-upgrade {} {}; the running server stays", exe_path_,
                  WIFEXITED(status) ? "exited with code" : "was killed by signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return;
  }
  upgrade_ = Upgrade::kStopping;
  spdlog::info("upgrade: {} can take over; stopping the workers, the jobs run on", exe_path_);
  if (listener_.pid > 0) kill(listener_.pid, SIGTERM);
  if (supervisor_.pid > 0) kill(supervisor_.pid, SIGKILL);
}

// From the loop, once both workers are gone.
void Master::exec_upgrade() {
  UpgradeState state;
  state.from_version = server_version();
  state.pidfile_fd = pidfile_.fd();
  state.listen_fd = listen_fd_;
  state.http_fd = http_fd_;
  state.unix_fd = unix_fd_;
  state.unix_inode = unix_inode_;
  state.held = held_.hand_over();
  std::string error;
  int state_fd = upgrade_state_file(state, error);
  if (state_fd >= 0) {
    for (int fd : state.fds()) set_cloexec(fd, false);
    setenv(UpgradeState::kEnv, std::to_string(state_fd).c_str(), 1);
    if (notify_.enabled()) setenv("NOTIFY_SOCKET", notify_.socket().c_str(), 1);
    spdlog::info("upgrade: {} takes over (pid {})", exe_path_, pid_);
    worker::log_flush();
    std::vector<std::string> args = options_.argv;
    if (args.empty()) args.push_back(exe_path_);
    args[0] = exe_path_;
    auto argv = c_argv(args);
    execv(exe_path_.c_str(), argv.data());
    error = std::string("exec ") + exe_path_ + ": " + std::strerror(errno);
    unsetenv(UpgradeState::kEnv);
    unsetenv("NOTIFY_SOCKET");
    close(state_fd);
    for (int fd : state.fds()) set_cloexec(fd, true);
  }
  // Still the old server: it serves on with new workers.
  held_.take_over(std::move(state.held));
  upgrade_ = Upgrade::kNone;
  spdlog::error("upgrade failed, the running server stays: {}", error);
  for (Worker* w : {&supervisor_, &listener_}) w->respawn_at = now_ms();
}

// The new binary, in the old master's process: everything the old one had
// open is taken back instead of made. What cannot be taken stops the start
// with the reason, as any start does: --check-upgrade asked first, so that
// this is for what no check can foresee.
std::optional<std::string> Master::prepare_upgraded(const char* state_fd) {
  UpgradeState state;
  int fd = std::atoi(state_fd);
  unsetenv(UpgradeState::kEnv);  // no worker or job is to see it
  if (fd < 0) return std::string("upgrade: ") + UpgradeState::kEnv + " names no file";
  if (auto err = read_upgrade_state(fd, state)) return "upgrade: " + *err;
  for (int kept : state.fds()) set_cloexec(kept, true);
  if (auto err = load_checked_config(options_.config_file, options_.overrides, config_)) return err;
  worker::log_set_timezone(config_.timezone);
  pidfile_.adopt(state.pidfile_fd, config_.pidfile);
  try {
    segment_ = shm::Segment::attach(config_.shm_name, false);
  } catch (const shm::SegmentError& e) {
    return std::string("upgrade: ") + e.what();
  }
  listen_fd_ = state.listen_fd;
  http_fd_ = state.http_fd;
  unix_fd_ = state.unix_fd;
  unix_inode_ = state.unix_inode;
  pid_ = getpid();
  segment_->header().master_pid = pid_;
  segment_->header().generation.fetch_add(1);
  worker::log_setup(config_.data_dir + "/log/server", !options_.daemon, config_.log_level);
  worker::log_to_ring(segment_->server_ring());
  spdlog::info("upgraded in place from {} to {} (pid {}); {} job(s) handed over", state.from_version,
               server_version(), pid_, state.held.size());
  held_.take_over(std::move(state.held));
  return prepare_channels();
}

}  // namespace backend::master
