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
#include <string_view>
#include <vector>

#include <uv.h>

#include "shm/segment.h"
#include "worker/common/command_table.h"
#include "worker/common/proc_stat_files.h"

namespace backend::worker {

class Metrics {
 public:
  // `connections` says how many clients the listener serves now; at most
  // `proc_files` jobs' /proc files are kept open between scrapes. Scrapes
  // are built on `loop`'s thread pool.
  Metrics(uv_loop_t* loop, const shm::Segment& segment, const CommandTable& commands,
          std::function<size_t()> connections, size_t proc_files)
      : loop_(loop), seg_(segment), commands_(commands), connections_(std::move(connections)), proc_(proc_files) {}

  // Calls done(text) on the loop, with the text valid during the call. The
  // text is built on the thread pool: it reads every running job's /proc
  // and is 2.5 MB at 3,000 jobs, 26 ms for which the loop would answer
  // nobody. One is built at a time; a scrape asked while one is built gets
  // the next, which begins after it was asked.
  using Done = std::function<void(std::string text)>;
  void scrape(Done done);

 private:
  void build(size_t connections);
  void build_next();

  uv_loop_t* loop_;
  const shm::Segment& seg_;
  const CommandTable& commands_;
  std::function<size_t()> connections_;
  ProcStatFiles proc_;
  // The text being built. It goes out with its scrape (a copy of 2.5 MB at
  // 3,000 jobs took the loop longer in page faults than the build itself):
  // the next is built in new memory, on the pool, sized at once.
  std::string text_;
  size_t last_size_ = 0;
  bool building_ = false;
  std::vector<Done> asked_;  // since the scrape being built began
};

}  // namespace backend::worker
