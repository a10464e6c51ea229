// Memory and CPU of every running job over the last 24 hours, one point a
// minute, sampled by the listener (USAGE, USAGEALL, the dashboard's charts
// and sparklines): the page shows a day's history without having been open
// for a day. Kept in the listener's memory, so a listener restart begins a
// new history. Memory is taken an hour of points at a time, as a job's
// minutes come: 360 bytes an hour, 8.4 KiB for a job that ran all day
// (before, every job sampled once took the whole day's 11.3 KiB at once:
// 113 MiB for 10,000 jobs started a minute ago).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
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

  // A sample in three steps, so that the /proc reads (about 13 µs a job
  // here: 85 ms at 6,500 jobs, every kSampleMs) run off the listener's loop:
  // take() notes every job from the table (on the loop), read() reads the
  // running ones' processes (anywhere: it touches nothing of this object
  // but the reader), record() files what was read (on the loop).
  struct Probe {
    std::string name;
    int32_t pid = 0;  // 0: not running
    uint64_t start_ticks = 0;
    std::optional<ProcUsage> usage;
  };
  using Probes = std::vector<Probe>;
  static Probes take(const shm::JobTable& table);
  void read(Probes& probes) const;
  // `mono_s` is a monotonic clock, `now_s` the wall clock that names the
  // minute, both of the read.
  void record(const Probes& probes, double mono_s, int64_t now_s);
  // All three at once (tests).
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

 private:
  struct Hour;
  using HourRef = std::shared_ptr<const Hour>;

 public:
  // The last `points` minutes of some jobs as they stood when taken, to be
  // appended anywhere: USAGEALL of many jobs is built on the listener's
  // thread pool (1,440 points of 3,000 jobs held its loop for 350 ms). A
  // view shares the hours it needs with the history, which copies an hour
  // before it writes into one that a view still holds.
  class Recent {
   public:
    size_t size() const { return series_.size(); }
    const std::string& name(size_t i) const { return series_[i].name; }
    size_t points() const { return points_; }
    // {"mem":[...],"cpu":[...]} of the i-th job.
    void append(std::string& out, size_t i) const;

   private:
    friend class UsageHistory;
    struct Series {
      std::string name;
      int64_t last_written = -1;  // the newest minute the history had; -1: none
    };
    std::vector<Series> series_;
    // For each series in turn, the hours from first_hour_ to last_minute_'s
    // (hours since the epoch), hours_each_ of them; null: no points there.
    std::vector<HourRef> hours_;
    int64_t first_hour_ = 0;
    size_t hours_each_ = 0;
    int64_t last_minute_ = 0;
    size_t points_ = 0;
  };
  Recent recent(std::vector<std::string> names, size_t points, int64_t now_s) const;

  size_t jobs() const { return tracks_.size(); }
  // Hours of points held over all jobs: what the history costs.
  size_t hours_held() const;

 private:
  static constexpr uint32_t kNoMem = UINT32_MAX;
  static constexpr uint16_t kNoCpu = UINT16_MAX;
  static constexpr size_t kHourPoints = 3600 / kStepSeconds;
  static_assert(kPoints % kHourPoints == 0);
  // One hour of points. CPU in tenths of a percent, what USAGE prints.
  struct Hour {
    Hour();
    uint32_t mem_kb[kHourPoints];  // kNoMem: not running
    uint16_t cpu[kHourPoints];     // kNoCpu: unknown
  };
  struct Track {
    int32_t pid = 0;
    uint64_t start_ticks = 0;
    double cpu_s = 0;   // CPU seconds at the last read
    double read_at = 0;  // mono_s of the last read
    std::optional<Latest> latest;
    int64_t last_minute = -1;  // the newest minute written
    // By (minute % kPoints) / kHourPoints; null: no point in that hour.
    std::array<std::shared_ptr<Hour>, kPoints / kHourPoints> hours;
    uint64_t seen = 0;  // the sample that last found the job
    void put(size_t point, uint32_t mem_kb, uint16_t cpu);
    void clear(size_t point);
    // The hour to write into: its own, not one a Recent view holds.
    Hour& writable(size_t hour);
  };
  // The series of `points` minutes to last_minute; hours[k] holds the
  // points of the hour first_hour + k (hours since the epoch).
  static void append_series(std::string& out, const HourRef* hours, int64_t first_hour, int64_t last_written,
                            int64_t last_minute, size_t points);

  Reader reader_;
  std::unordered_map<std::string, Track> tracks_;
  uint64_t samples_ = 0;
};

}  // namespace backend::worker::dashboard
