// The scheduler's schedules as /metrics shows them (next and last run, runs
// so far), published whole by the supervisor on every change and read
// without a lock (one seqlock over the area).
#pragma once

#include <span>
#include <vector>

#include "shm/layout.h"

namespace backend::shm {

class ScheduleTable {
 public:
  ScheduleTable(Header& header, char* base);

  // Replaces what is published; past kMaxSchedules the rest are left out.
  void publish(std::span<const ScheduleRecord> schedules);
  // Empty when the area stayed mid-write too long.
  std::vector<ScheduleRecord> read() const;

 private:
  Header& h_;
  ScheduleRecord* records_;
};

}  // namespace backend::shm
