// GET /metrics: the Prometheus text format 0.0.4, built from shared memory
// (and /proc) at scrape time, with no round trip to the supervisor. Names
// carry the backend_ prefix and base units, counters end in _total; a job
// is the label `name` (Prometheus sets `job` itself), and no label holds a
// state's value, a pid, a time or a command line, so that no restart makes
// a series of its own (node_exporter's systemd collector is the model: a
// state is one 0/1 series per state).
#pragma once

#include <functional>
#include <string>

#include "shm/segment.h"
#include "worker/common/command_table.h"

namespace backend::worker {

class Metrics {
 public:
  // `connections` says how many clients the listener serves now.
  Metrics(const shm::Segment& segment, const CommandTable& commands, std::function<size_t()> connections)
      : seg_(segment), commands_(commands), connections_(std::move(connections)) {}

  std::string scrape() const;

 private:
  const shm::Segment& seg_;
  const CommandTable& commands_;
  std::function<size_t()> connections_;
};

}  // namespace backend::worker
