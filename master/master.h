// The master process: owns the pidfile, the shared memory, the listening
// socket and the signals; forks the listener and the supervisor and starts
// either again when it dies. It serves no client and runs no job, so it has
// nothing to crash on.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

#include "conf/config.h"
#include "master/held_jobs.h"
#include "master/identity.h"
#include "master/listener_log.h"
#include "master/options.h"
#include "master/pidfile.h"
#include "master/read_pacing.h"
#include "master/respawn.h"
#include "master/systemd_notify.h"
#include "shm/segment.h"
#include "worker/common/context.h"

namespace backend::master {

class Master {
 public:
  Master(Options options, worker::WorkerMains mains) : options_(std::move(options)), mains_(mains) {}
  // The whole life of the server; returns the exit status.
  int run();

 private:
  enum class Kind { kListener, kSupervisor };
  struct Worker {
    Worker(Kind k, const char* n) : kind(k), name(n) {}
    Kind kind;
    const char* name;
    pid_t pid = 0;
    int64_t started_ms = 0;
    int64_t respawn_at = -1;  // monotonic ms; -1: not scheduled
    bool restart_now = false;
    bool spawned_before = false;
    Respawn backoff;
  };

  std::optional<std::string> prepare();
  std::optional<std::string> prepare_listener_identity();
  std::optional<std::string> bind_unix();
  // http_listen's socket: -1 when it is off, or with error set.
  int bind_http(const conf::Config& config, std::string& error);
  void unlink_unix();
  void setup_signals();
  void loop();
  int poll_timeout() const;
  void on_signal(int signo);
  void reap();
  void orphan_exited(pid_t pid, int status);
  void take_orphans(const std::vector<OrphanedJob>& orphans);
  // Reads at most kControlBatch messages; returns how many it read.
  static constexpr int kControlBatch = 256;
  int read_control();
  void worker_died(Worker& w, int status);
  void spawn(Worker& w);
  [[noreturn]] void child(Worker& w);
  void serve_as(const Identity& who, worker::WorkerContext& ctx);
  void reload();
  void publish_config();
  void begin_shutdown();
  void cleanup();
  void signal_workers(int signo);
  // The upgrade in place (upgrade.cpp).
  static std::string own_path();
  void begin_upgrade();
  void upgrade_checked(int status);
  void exec_upgrade();
  std::optional<std::string> prepare_upgraded(const char* state_fd);
  std::optional<std::string> prepare_channels();

  Options options_;
  worker::WorkerMains mains_;
  conf::Config config_;
  Pidfile pidfile_;
  std::optional<shm::Segment> segment_;
  int listen_fd_ = -1;
  int unix_fd_ = -1;  // unix_socket's, when set
  int http_fd_ = -1;  // http_listen's, when set
  ino_t unix_inode_ = 0;
  // Set when the listener is to give up root (listener_user).
  std::optional<Identity> listener_identity_;
  ListenerLog listener_log_;
  int listener_log_fd_ = -1;  // the write end, between pipe and fork
  int channel_[2] = {-1, -1};  // [0] the listener's end, [1] the supervisor's
  int control_[2] = {-1, -1};  // [0] the master's end, [1] the supervisor's
  HeldJobs held_;
  std::deque<worker::Control::Outgoing> control_out_;
  ReadPacing control_pacing_;  // the control socket's messages
  ReadPacing log_pacing_;      // the listener's log lines
  int signal_fd_ = -1;
  int start_report_fd_ = -1;  // --daemon: the waiting original process
  pid_t pid_ = 0;
  Worker listener_{Kind::kListener, "listener"};
  Worker supervisor_{Kind::kSupervisor, "supervisor"};
  bool shutting_down_ = false;
  int64_t kill_at_ = -1;
  SystemdNotify notify_;  // made with the master, before any fork
  enum class Upgrade { kNone, kChecking, kStopping } upgrade_ = Upgrade::kNone;
  pid_t upgrade_check_pid_ = 0;
  std::string exe_path_ = own_path();
  bool ready_told_ = false;  // systemd was told READY=1
};

}  // namespace backend::master
