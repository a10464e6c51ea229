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
#include "worker/common/proc_stat_files.h"

namespace backend::worker {

class Metrics {
 public:
  // `connections` says how many clients the listener serves now; at most
  // `proc_files` jobs' /proc files are kept open between scrapes.
  Metrics(const shm::Segment& segment, const CommandTable& commands, std::function<size_t()> connections,
          size_t proc_files)
      : seg_(segment), commands_(commands), connections_(std::move(connections)), proc_(proc_files) {}

  // The text, valid until the next scrape.
  std::string_view scrape();

 private:
  const shm::Segment& seg_;
  const CommandTable& commands_;
  std::function<size_t()> connections_;
  ProcStatFiles proc_;
  // Kept between scrapes: a scrape of 1,000 jobs is 800 KB, and building it
  // in fresh memory each time cost more in page faults than in writing.
  std::string text_;
};

}  // namespace backend::worker
