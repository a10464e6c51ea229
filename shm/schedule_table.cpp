#include "shm/schedule_table.h"

#include <algorithm>

#include "shm/seqlock.h"

namespace backend::shm {

ScheduleTable::ScheduleTable(Header& header, char* base)
    : h_(header), records_(reinterpret_cast<ScheduleRecord*>(base + header.schedules_offset)) {}

void ScheduleTable::publish(std::span<const ScheduleRecord> schedules) {
  size_t n = std::min(schedules.size(), kMaxSchedules);
  seq_write(h_.schedules_seq, [&] {
    std::copy_n(schedules.begin(), n, records_);
    h_.schedule_count = static_cast<uint32_t>(n);
  });
}

std::vector<ScheduleRecord> ScheduleTable::read() const {
  std::vector<ScheduleRecord> out;
  bool ok = seq_read(h_.schedules_seq, [&] {
    size_t n = std::min<size_t>(h_.schedule_count, kMaxSchedules);
    out.assign(records_, records_ + n);
  });
  if (!ok) out.clear();
  for (ScheduleRecord& r : out) {  // a torn copy never overreads
    r.job[kMaxName] = '\0';
    r.uuid[sizeof r.uuid - 1] = '\0';
  }
  return out;
}

}  // namespace backend::shm
