#include "shm/run_history.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "shm/job_table.h"
#include "tests/unit/shm/test_segment.h"

namespace backend::shm {
namespace {

using testing::ScopedSegment;

// Pages of [begin, begin + bytes) that are in memory: for shared memory,
// the pages some process has touched.
size_t resident_pages(const char* begin, size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto start = reinterpret_cast<uintptr_t>(begin) & ~(page - 1);
  size_t len = reinterpret_cast<uintptr_t>(begin) + bytes - start;
  std::vector<unsigned char> vec((len + page - 1) / page);
  if (mincore(reinterpret_cast<void*>(start), len, vec.data()) != 0) return ~size_t{0};
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

size_t history_pages(const Segment& seg) {
  const Header& h = seg.header();
  return resident_pages(seg.base() + h.history_offset, size_t{h.capacity} * sizeof(HistoryArea));
}

RunRecord run_with_code(int code) {
  RunRecord r{};
  r.exit_code = code;
  return r;
}

// 10,000 jobs that never ran must not cost a history page each.
TEST(RunHistory, JobsThatNeverRanTouchNoHistoryPage) {
  ScopedSegment s("history-untouched", {64, 8192, 8192});
  JobTable t = s.seg.table();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(t.put("j" + std::to_string(i), "{}", 20));
  for (uint32_t slot = 0; slot < 40; ++slot) EXPECT_TRUE(s.seg.history().read(slot).empty());
  EXPECT_EQ(history_pages(s.seg), 0u);
  // A run that ended is kept, in the pages of its own job's area only.
  t.mark_started(7, 1, 1, 1, 0, StartReason::kManual);
  s.seg.history().append(7, run_with_code(3));
  auto runs = s.seg.history().read(7);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 3);
  EXPECT_GE(history_pages(s.seg), 1u);
  EXPECT_LE(history_pages(s.seg), (sizeof(HistoryArea) + 4095) / 4096 + 1);
}

// A slot's next job starts with none of the runs of the job before it, also
// when the slot was above the high-water mark in between.
TEST(RunHistory, TheNextJobInASlotStartsWithoutTheRunsOfTheLast) {
  ScopedSegment s("history-reuse", {8, 8192, 8192});
  JobTable t = s.seg.table();
  ASSERT_EQ(t.put("a", "{}", 20), 0u);
  ASSERT_EQ(t.put("b", "{}", 20), 1u);
  t.mark_started(1, 1, 1, 1, 0, StartReason::kManual);
  s.seg.history().append(1, run_with_code(1));
  t.remove("b");  // the top slot: the high-water mark falls below it
  ASSERT_EQ(t.put("c", "{}", 20), 1u);
  EXPECT_TRUE(s.seg.history().read(1).empty());
  t.mark_started(1, 2, 1, 2, 0, StartReason::kManual);
  s.seg.history().append(1, run_with_code(2));
  auto runs = s.seg.history().read(1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 2);
}

// A writer that died mid-write leaves an odd seq; the repair finds it in a
// job that ran, and reads no area of a job that never did.
TEST(RunHistory, RepairFindsADeadWritersSeqAndTouchesNoOtherArea) {
  ScopedSegment s("history-repair", {64, 8192, 8192});
  JobTable t = s.seg.table();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(t.put("j" + std::to_string(i), "{}", 20));
  t.mark_started(3, 1, 1, 1, 0, StartReason::kManual);
  s.seg.history().append(3, run_with_code(0));
  auto* areas = reinterpret_cast<HistoryArea*>(s.seg.base() + s.seg.header().history_offset);
  areas[3].seq.fetch_add(1);  // odd: as if its writer died inside
  size_t before = history_pages(s.seg);
  EXPECT_EQ(s.seg.history().repair_seqs(), 1u);
  EXPECT_EQ(areas[3].seq.load() % 2, 0u);
  EXPECT_EQ(history_pages(s.seg), before);
  EXPECT_EQ(s.seg.history().read(3).size(), 1u);
}

}  // namespace
}  // namespace backend::shm
