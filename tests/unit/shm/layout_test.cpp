// Pins the shared-memory layout: a change to any of these numbers must come
// with a new kLayoutVersion, so that old segments are never misread.
#include <gtest/gtest.h>

#include <cstddef>

#include "shm/layout.h"
#include "shm/segment.h"

namespace backend::shm {

TEST(Layout, VersionAndSizesArePinned) {
  EXPECT_EQ(kLayoutVersion, 6u);
  EXPECT_EQ(sizeof(LockWord), 48u);
  EXPECT_EQ(sizeof(JobSlot), 256u);
  EXPECT_EQ(sizeof(SettingsArea), 512u);
  EXPECT_EQ(sizeof(SettingsOverflow), 16384u);
  EXPECT_EQ(sizeof(RingHeader), 192u);
  EXPECT_EQ(sizeof(Header), 67904u);
  EXPECT_EQ(sizeof(RunRecord), 2080u);
  EXPECT_EQ(sizeof(HistoryArea), 41664u);
  EXPECT_EQ(sizeof(ScheduleRecord), 128u);
  EXPECT_EQ(offsetof(JobSlot, starts), 152u);
  EXPECT_EQ(offsetof(Header, master_pid), 40u);
  EXPECT_EQ(offsetof(JobSlot, name), 8u);
  EXPECT_EQ(offsetof(JobSlot, next_retry_at), 144u);
  EXPECT_EQ(offsetof(JobSlot, log_intent), 208u);
  EXPECT_EQ(sizeof(LogIntent), 16u);
}

TEST(Layout, GeometryOfTheDefaultSegment) {
  Geometry g = geometry_for({1024, 256 * 1024, 64 * 1024});
  EXPECT_EQ(g.index_entries, 2048u);
  EXPECT_EQ(g.slots_offset % 4096, 0u);
  EXPECT_GE(g.settings_offset, g.slots_offset + 1024 * sizeof(JobSlot));
  EXPECT_GE(g.settings_overflow_offset, g.settings_offset + 1024 * sizeof(SettingsArea));
  EXPECT_GE(g.index_offset, g.settings_overflow_offset + 1024 * sizeof(SettingsOverflow));
  EXPECT_GE(g.rings_offset, g.ring_headers_offset + 1024 * sizeof(RingHeader));
  EXPECT_GE(g.server_ring_offset, g.rings_offset + 1024ull * 256 * 1024);
  EXPECT_GE(g.history_offset, g.server_ring_offset + sizeof(RingHeader) + 64 * 1024);
  EXPECT_GE(g.schedules_offset, g.history_offset + 1024 * sizeof(HistoryArea));
  EXPECT_GE(g.total, g.schedules_offset + kMaxSchedules * sizeof(ScheduleRecord));
  EXPECT_EQ(g.total % 4096, 0u);
}

TEST(Layout, IndexHasRoomForTwiceTheCapacity) {
  EXPECT_EQ(geometry_for({1000, 8192, 8192}).index_entries, 2048u);
  EXPECT_EQ(geometry_for({1, 8192, 8192}).index_entries, 2u);
}

}  // namespace backend::shm
