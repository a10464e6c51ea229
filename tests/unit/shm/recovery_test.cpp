#include "shm/recovery.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/job_table.h"
#include "shm/lock.h"
#include "shm/ring.h"
#include "tests/unit/shm/test_segment.h"

namespace backend::shm {
namespace {

using testing::ScopedSegment;

// A child that dies in the middle of writing a slot, holding the table lock.
pid_t die_mid_write(const Segment& seg, uint32_t slot) {
  pid_t child = fork();
  if (child == 0) {
    lock_acquire(seg.header().table_lock);
    auto* slots = reinterpret_cast<JobSlot*>(seg.base() + seg.header().slots_offset);
    slots[slot].seq.fetch_add(1);
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  return child;
}

TEST(Recovery, FreesTheDeadWritersLockAndOpenWrites) {
  ScopedSegment s("rec");
  uint32_t slot = *s.seg.table().put("a", "{}", 20);
  pid_t dead = die_mid_write(s.seg, slot);
  RecoveryReport r = recover_after_death(s.seg, dead, true);
  EXPECT_EQ(r.locks, 1u);
  EXPECT_EQ(r.seqs, 1u);
  JobInfo info;
  EXPECT_TRUE(s.seg.table().read(slot, info));
  EXPECT_EQ(s.seg.header().table_lock.holder.load(), 0);
}

TEST(Recovery, LeavesSlotsAloneForAReaderThatDied) {
  ScopedSegment s("reader");
  uint32_t slot = *s.seg.table().put("a", "{}", 20);
  pid_t dead = die_mid_write(s.seg, slot);
  RecoveryReport r = recover_after_death(s.seg, dead, false);
  EXPECT_EQ(r.locks, 1u);
  EXPECT_EQ(r.seqs, 0u);
}

TEST(Recovery, FreesARingLockHeldByTheDead) {
  ScopedSegment s("ringlock");
  pid_t child = fork();
  if (child == 0) {
    auto* rh = reinterpret_cast<RingHeader*>(s.seg.base() + s.seg.header().server_ring_offset);
    lock_acquire(rh->lock);
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  EXPECT_EQ(recover_after_death(s.seg, child, false).locks, 1u);
  s.seg.server_ring().append("still works");
  EXPECT_EQ(join_lines(s.seg.server_ring().last(1)), "still works");
}

}  // namespace
}  // namespace backend::shm
