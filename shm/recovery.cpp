#include "shm/recovery.h"

#include "shm/job_table.h"
#include "shm/lock.h"
#include "shm/seqlock.h"

namespace backend::shm {

RecoveryReport recover_after_death(const Segment& segment, pid_t dead, bool was_writer) {
  RecoveryReport report;
  Header& h = segment.header();
  auto free_lock = [&](LockWord& lock) { report.locks += lock_release_if_held_by(lock, dead) ? 1 : 0; };
  free_lock(h.table_lock);
  free_lock(reinterpret_cast<RingHeader*>(segment.base() + h.server_ring_offset)->lock);
  auto* rings = reinterpret_cast<RingHeader*>(segment.base() + h.ring_headers_offset);
  uint32_t end = h.high_water.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < end; ++i)
    if (rings[i].capacity != 0) free_lock(rings[i].lock);
  if (was_writer) {
    report.seqs = segment.table().repair_seqs() + segment.history().repair_seqs();
    if (seq_repair(h.schedules_seq)) ++report.seqs;
  }
  return report;
}

}  // namespace backend::shm
