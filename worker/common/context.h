// What the master hands a worker when it forks it.
#pragma once

#include <sys/types.h>

#include <csignal>

#include <optional>
#include <span>
#include <string_view>

#include "conf/config.h"
#include "plugins/plugin.h"
#include "shm/segment.h"

namespace backend::worker {

// The parent-death signal of the workers (PR_SET_PDEATHSIG), one the master
// never sends: the supervisor must tell its master's death (a crash, the OOM
// killer, kill -9), which leaves the jobs running as a server killed outright
// does, from the master's order to stop (SIGTERM), which stops them. Neither
// the parent pid nor the sender tells them apart: the kernel sends it as the
// master's main thread exits, and while the master's other threads live its
// children are handed to one of them, under the same pid. A worker that gets
// it before its loop watches for it dies of it (the default action).
inline int master_death_signal() { return SIGRTMIN; }

struct WorkerContext {
  conf::Config config;
  const shm::Segment* segment = nullptr;
  int listen_fd = -1;   // the listener's: bound and listening, made by the master
  int channel_fd = -1;  // this worker's end of the listener <-> supervisor channel
  int control_fd = -1;  // the supervisor's end of its control socket to the master
  std::span<const plugins::PluginInfo> plugins;  // every plugin there is
  // False when the master starts a worker again after it died: plugins that
  // act at server start (autostart) must not act again.
  bool server_start = true;
  // Where data paths start: config.data_dir, or "." for a listener that
  // entered it before giving up root.
  std::string data_root;
  int unix_fd = -1;  // the listener's: unix_socket bound and listening, when set
  // The supervisor's: the group of a listener that gave up root, which must
  // be able to read the files the supervisor saves for its plugins.
  std::optional<gid_t> listener_gid;
  int http_fd = -1;  // the listener's: http_listen bound and listening, when set
};

// The config the master published in shared memory (after a SIGHUP).
bool published_config(const shm::Segment& segment, conf::Config& out);

class PluginHost;
// A worker's SIGHUP: takes the config the master published, applies its
// log level and time zone and gives the plugins their settings. False,
// with the running config kept, when it cannot be read.
bool apply_published_config(WorkerContext& ctx, PluginHost& plugins, std::string_view worker);

// A worker's whole life: runs its loop until SIGTERM and returns the
// process exit status.
using WorkerMain = int (*)(WorkerContext& ctx);

// The workers' mains, handed to the master by main(): the master forks them
// but links none of their code (worker/listener, worker/supervisor).
struct WorkerMains {
  WorkerMain listener;
  WorkerMain supervisor;
};

}  // namespace backend::worker
