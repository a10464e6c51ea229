// Each schedule's next due instant, kept from one arming of the timer to
// the next. Working it out means walking days in local time (localtime_r,
// mktime), about 60 µs a schedule here, and the timer was armed again after
// every ADD of any job and every schedule change: at 1,000 scheduled jobs
// one ADD took 58 ms, and adding a schedule to each of 2,000 jobs 72 s
// (perf: 85 % of the supervisor in glibc's time zone conversion). Now a
// schedule's instant is worked out again only when its condition or the
// time it counts from changed.
#pragma once

#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "plugins/scheduler/condition.h"

namespace backend::plugins::scheduler {

class DueCache {
 public:
  using Key = std::pair<std::string, std::string>;  // job, uuid
  using Compute = std::function<std::optional<time_t>(const Condition&, time_t)>;

  // next_due by default; a test counts its calls.
  explicit DueCache(Compute compute = {});

  // The first instant after `from` at which condition c is due.
  std::optional<time_t> next(const Key& key, const Condition& c, time_t from);
  // The schedule's instants up to `to` were dealt with, none of them due:
  // its next instant, after `to` already, stays what it was.
  void advanced(const Key& key, time_t to);
  // Forgets the job's schedules keep() says no to (deleted ones).
  void keep_only(const std::string& job, const std::function<bool(const Key&)>& keep);
  // Forgets all (the local time zone may have changed).
  void clear() { dues_.clear(); }
  size_t size() const { return dues_.size(); }

 private:
  struct Due {
    Condition condition;
    time_t from;
    std::optional<time_t> at;
  };
  Compute compute_;
  std::map<Key, Due> dues_;
};

}  // namespace backend::plugins::scheduler
