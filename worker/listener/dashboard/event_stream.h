// One page's server-sent events (text/event-stream): what changed in the
// job table, the lines a job or the server printed, and usage, pumped by
// the listener every few milliseconds while the page is open. A pump that
// finds nothing new costs an atomic read or two: pages follow jobs without
// polling, and the listener pays little for each page.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shm/segment.h"
#include "worker/listener/dashboard/usage_history.h"

namespace backend::worker::dashboard {

class EventStream {
 public:
  enum class Kind {
    kJobs,    // every job's changes and usage
    kJob,     // one job's changes, usage and output lines
    kServer,  // the server's output lines
  };
  static constexpr uint64_t kUsageMs = 10 * 1000;
  static constexpr uint64_t kBeatMs = 15 * 1000;
  // A table that changes all the time (a job dying in a loop) is looked
  // over at most this often, not at every pump.
  static constexpr uint64_t kTableScanMs = 200;

  // `since`: the first line to send (READ's since; Last-Event-ID after a
  // reconnect).
  EventStream(const shm::Segment& seg, const UsageHistory* usage, Kind kind, std::string job, uint64_t since);

  // The first events: every job (or the one job) as it is now, and the
  // lines from `since` on.
  void begin(std::string& out, int64_t now_s, uint64_t now_ms);
  // What is new since the last pump.
  void pump(std::string& out, int64_t now_s, uint64_t now_ms);

 private:
  struct Seen {
    int32_t pid;
    shm::JobState state;
    uint32_t restarts;
    int64_t last_exit_at;
    int64_t next_retry_at;
    bool operator==(const Seen&) const = default;
  };
  static Seen seen_of(const shm::JobInfo& info);
  void job_event(std::string& out, const shm::JobInfo& info, int64_t now_s);
  void scan_table(std::string& out, int64_t now_s, bool all);
  void lines(std::string& out, const shm::Ring& ring);
  void usage(std::string& out);

  const shm::Segment& seg_;
  const UsageHistory* usage_;
  Kind kind_;
  std::string job_;
  uint64_t next_line_;
  uint64_t table_changes_ = UINT64_MAX;
  uint64_t scanned_ms_ = 0;
  uint64_t usage_ms_ = 0;
  uint64_t beat_ms_ = 0;
  std::unordered_map<std::string, Seen> seen_;
  uint32_t slot_ = UINT32_MAX;  // the job's slot when its lines were last read
};

}  // namespace backend::worker::dashboard
