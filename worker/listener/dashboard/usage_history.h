// Memory and CPU of every running job over the last 24 hours, one point a
// minute, sampled by the listener (USAGE, USAGEALL, the dashboard's charts
// and sparklines): the page shows a day's history without having been open
// for a day. Kept in the listener's memory, so a listener restart begins a
// new history; 24 h of one job costs 8.6 KB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shm/job_table.h"
#include "worker/common/proc_info.h"

namespace backend::worker::dashboard {

class UsageHistory {
 public:
  static constexpr int64_t kStepSeconds = 60;
  static constexpr size_t kPoints = 24 * 3600 / kStepSeconds;
  static constexpr uint64_t kSampleMs = 10 * 1000;

  // How a process is read: proc_usage(), or a stand-in in tests.
  using Reader = std::optional<ProcUsage> (*)(pid_t pid);
  explicit UsageHistory(Reader reader = proc_usage) : reader_(reader) {}

  // Reads every running job's memory and CPU time (the listener calls it
  // every kSampleMs); `mono_s` is a monotonic clock, `now_s` the wall clock
  // that names the minute.
  void sample(const shm::JobTable& table, double mono_s, int64_t now_s);

  struct Latest {
    uint64_t mem_kb;
    std::optional<double> cpu;  // percent of one core; unknown after the first read
  };
  // The last sample of a job that ran at that sample.
  std::optional<Latest> latest(std::string_view name) const;

  // {"step":60,"end":T,"mem":[kB|null,...],"cpu":[percent|null,...]}: the
  // last kPoints minutes up to now_s's, oldest first (USAGE).
  void append_day(std::string& out, std::string_view name, int64_t now_s) const;
  // {"mem":[...],"cpu":[...]}: the last `points` minutes only (USAGEALL).
  void append_recent(std::string& out, std::string_view name, size_t points, int64_t now_s) const;

  size_t jobs() const { return tracks_.size(); }

 private:
  static constexpr uint32_t kNoMem = UINT32_MAX;
  struct Track {
    int32_t pid = 0;
    uint64_t start_ticks = 0;
    double cpu_s = 0;   // CPU seconds at the last read
    double read_at = 0;  // mono_s of the last read
    std::optional<Latest> latest;
    int64_t last_minute = -1;       // the newest minute written
    std::vector<uint32_t> mem_kb;   // by minute % kPoints; kNoMem: not running
    std::vector<float> cpu;         // percent; negative: unknown
    uint64_t seen = 0;              // the sample that last found the job
  };
  void append_series(std::string& out, const Track* t, int64_t last_minute, size_t points) const;

  Reader reader_;
  std::unordered_map<std::string, Track> tracks_;
  uint64_t samples_ = 0;
};

}  // namespace backend::worker::dashboard
