#include "shm/job_table.h"

#include <gtest/gtest.h>

#include <tuple>

#include "shm/lock.h"
#include "tests/unit/shm/test_segment.h"

namespace backend::shm {
namespace {

using testing::ScopedSegment;

TEST(JobTable, InsertFindReadErase) {
  ScopedSegment s("table");
  JobTable t = s.seg.table();
  LockGuard g(s.seg.header().table_lock);
  auto a = t.insert("alpha", R"({"command":"/bin/a"})", 20);
  auto b = t.insert("beta", R"({"command":"/bin/b"})", 5);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(t.find("alpha"), a);
  EXPECT_EQ(t.find("beta"), b);
  EXPECT_FALSE(t.find("gamma"));
  JobInfo info;
  std::string settings;
  ASSERT_TRUE(t.read("beta", info, &settings));
  EXPECT_EQ(info.name, "beta");
  EXPECT_EQ(info.buffersize, 5u);
  EXPECT_EQ(info.state, JobState::kDown);
  EXPECT_EQ(settings, R"({"command":"/bin/b"})");
  EXPECT_EQ(t.count(), 2u);
  t.erase(*a);
  EXPECT_FALSE(t.find("alpha"));
  EXPECT_EQ(t.find("beta"), b);  // the index was rebuilt around the hole
  EXPECT_EQ(t.count(), 1u);
}

TEST(JobTable, RefusesWhenFullAndReusesFreedSlots) {
  ScopedSegment s("full", {4, 8192, 8192});
  JobTable t = s.seg.table();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.insert("j" + std::to_string(i), "{}", 20));
  EXPECT_FALSE(t.insert("j4", "{}", 20));
  t.erase(*t.find("j1"));
  auto again = t.insert("j4", "{}", 20);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 1u);
  for (int i : {0, 2, 3, 4}) EXPECT_TRUE(t.find("j" + std::to_string(i))) << i;
}

TEST(JobTable, ForEachVisitsJobsInSlotOrderWithSettings) {
  ScopedSegment s("each");
  JobTable t = s.seg.table();
  t.insert("a", R"({"x":1})", 20);
  t.insert("b", R"({"x":2})", 20);
  t.insert("c", R"({"x":3})", 20);
  t.erase(*t.find("b"));
  std::string seen;
  t.for_each([&](const JobInfo& j, const std::string& settings) { seen += j.name + settings + ";"; }, true);
  EXPECT_EQ(seen, R"(a{"x":1};c{"x":3};)");
}

TEST(JobTable, SettingsUpdateAndStateUpdate) {
  ScopedSegment s("upd");
  JobTable t = s.seg.table();
  uint32_t slot = *t.insert("job", "{}", 20);
  t.set_settings(slot, R"({"buffersize":7})", 7);
  t.update(slot, [](JobSlot& js) {
    js.pid = 1234;
    js.state = static_cast<uint8_t>(JobState::kUp);
    js.restarts = 3;
  });
  JobInfo info;
  std::string settings;
  ASSERT_TRUE(t.read(slot, info, &settings));
  EXPECT_EQ(settings, R"({"buffersize":7})");
  EXPECT_EQ(info.buffersize, 7u);
  EXPECT_EQ(info.pid, 1234);
  EXPECT_EQ(info.restarts, 3u);
  EXPECT_EQ(info.state, JobState::kUp);
}

TEST(JobTable, RecordExitKeepsCodeOrSignalOrUnknown) {
  ScopedSegment s("exit");
  JobTable t = s.seg.table();
  uint32_t slot = *t.insert("job", "{}", 20);
  JobInfo info;
  for (auto [status, code, sig] : {std::tuple{3 << 8, 3, 0}, {9, -1, 9}, {-1, -1, 0}}) {
    t.update(slot, [](JobSlot& js) { js.pid = 77; js.state = static_cast<uint8_t>(JobState::kUp); });
    t.record_exit(slot, status, 1234);
    ASSERT_TRUE(t.read(slot, info));
    EXPECT_EQ(info.state, JobState::kDown);
    EXPECT_EQ(info.pid, 0);
    EXPECT_EQ(info.last_exit_at, 1234);
    EXPECT_EQ(info.last_exit_code, code) << status;
    EXPECT_EQ(info.last_exit_signal, sig) << status;
  }
}

TEST(JobTable, ManyNamesWithCollidingProbes) {
  ScopedSegment s("many", {256, 8192, 8192});
  JobTable t = s.seg.table();
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(t.insert("job-" + std::to_string(i), "{}", 20));
  for (int i = 0; i < 256; i += 2) t.erase(*t.find("job-" + std::to_string(i)));
  for (int i = 0; i < 256; ++i) EXPECT_EQ(t.find("job-" + std::to_string(i)).has_value(), i % 2 == 1) << i;
}

TEST(JobTable, RepairRebuildsCountsAndIndex) {
  ScopedSegment s("repair");
  JobTable t = s.seg.table();
  t.insert("a", "{}", 20);
  t.insert("b", "{}", 20);
  s.seg.header().job_count.store(99);  // as if a writer died half-way
  s.seg.header().high_water.store(0);
  t.repair();
  EXPECT_EQ(t.count(), 2u);
  EXPECT_TRUE(t.find("b"));
  int n = 0;
  t.for_each([&](const JobInfo&, const std::string&) { ++n; });
  EXPECT_EQ(n, 2);
}

TEST(JobTable, ALeftOpenWriteIsRepairedByTheMaster) {
  ScopedSegment s("seq");
  JobTable t = s.seg.table();
  uint32_t slot = *t.insert("a", "{}", 20);
  auto* slots = reinterpret_cast<JobSlot*>(s.seg.base() + s.seg.header().slots_offset);
  slots[slot].seq.fetch_add(1);  // a writer died mid-write
  JobInfo info;
  EXPECT_EQ(t.repair_seqs(), 1u);
  EXPECT_TRUE(t.read(slot, info));
}

}  // namespace
}  // namespace backend::shm
