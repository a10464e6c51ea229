// What the master hands a worker when it forks it.
#pragma once

#include "conf/config.h"
#include "shm/segment.h"

namespace backend::worker {

struct WorkerContext {
  conf::Config config;
  const shm::Segment* segment = nullptr;
  int listen_fd = -1;   // the listener's: bound and listening, made by the master
  int channel_fd = -1;  // this worker's end of the listener <-> supervisor channel
  int control_fd = -1;  // the supervisor's end of its control socket to the master
};

// The config the master published in shared memory (after a SIGHUP).
bool published_config(const shm::Segment& segment, conf::Config& out);

// Runs the worker's loop until SIGTERM; returns the process exit status.
int run_listener(WorkerContext& ctx);
int run_supervisor(WorkerContext& ctx);

}  // namespace backend::worker
