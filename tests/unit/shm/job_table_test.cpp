#include "shm/job_table.h"

#include <gtest/gtest.h>

#include <tuple>

#include "tests/unit/shm/test_segment.h"

namespace backend::shm {
namespace {

using testing::ScopedSegment;

TEST(JobTable, InsertFindReadErase) {
  ScopedSegment s("table");
  JobTable t = s.seg.table();
  auto a = t.put("alpha", R"({"command":"/bin/a"})", 20);
  auto b = t.put("beta", R"({"command":"/bin/b"})", 5);
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
  t.remove("alpha");
  EXPECT_FALSE(t.find("alpha"));
  EXPECT_EQ(t.find("beta"), b);  // the index was rebuilt around the hole
  EXPECT_EQ(t.count(), 1u);
}

TEST(JobTable, RefusesWhenFullAndReusesFreedSlots) {
  ScopedSegment s("full", {4, 8192, 8192});
  JobTable t = s.seg.table();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.put("j" + std::to_string(i), "{}", 20));
  EXPECT_FALSE(t.put("j4", "{}", 20));
  t.remove("j1");
  auto again = t.put("j4", "{}", 20);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 1u);
  for (int i : {0, 2, 3, 4}) EXPECT_TRUE(t.find("j" + std::to_string(i))) << i;
}

TEST(JobTable, ForEachVisitsJobsInSlotOrderWithSettings) {
  ScopedSegment s("each");
  JobTable t = s.seg.table();
  t.put("a", R"({"x":1})", 20);
  t.put("b", R"({"x":2})", 20);
  t.put("c", R"({"x":3})", 20);
  t.remove("b");
  std::string seen;
  t.for_each([&](const JobInfo& j, const std::string& settings) { seen += j.name + settings + ";"; }, true);
  EXPECT_EQ(seen, R"(a{"x":1};c{"x":3};)");
}

TEST(JobTable, SettingsUpdateAndStateUpdate) {
  ScopedSegment s("upd");
  JobTable t = s.seg.table();
  uint32_t slot = *t.put("job", "{}", 20);
  EXPECT_EQ(t.put("job", R"({"buffersize":7})", 7), slot);  // a known name: its settings change
  t.edit(slot, [](JobSlot& js) {
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

TEST(JobTable, SettingsOfAnyLengthUpToTheLimitRoundTrip) {
  ScopedSegment s("long");
  JobTable t = s.seg.table();
  auto settings_of = [](size_t len) { return R"({"x":")" + std::string(len - 8, 'a') + R"("})"; };
  auto read_back = [&](uint32_t slot) {
    JobInfo info;
    std::string settings;
    EXPECT_TRUE(t.read(slot, info, &settings));
    return settings;
  };
  uint32_t a = *t.put("a", settings_of(kSettingsInlineBytes), 20);
  uint32_t b = *t.put("b", settings_of(kSettingsInlineBytes + 1), 20);
  uint32_t c = *t.put("c", settings_of(kSettingsBytes), 20);
  EXPECT_EQ(read_back(a), settings_of(kSettingsInlineBytes));
  EXPECT_EQ(read_back(b), settings_of(kSettingsInlineBytes + 1));
  EXPECT_EQ(read_back(c), settings_of(kSettingsBytes));
  EXPECT_FALSE(t.put("d", settings_of(kSettingsBytes + 1), 20));
  // From long to short and back: each write lands where its length says.
  t.put("c", R"({"x":1})", 20);
  EXPECT_EQ(read_back(c), R"({"x":1})");
  t.put("a", settings_of(4000), 20);
  EXPECT_EQ(read_back(a), settings_of(4000));
  EXPECT_EQ(read_back(b), settings_of(kSettingsInlineBytes + 1));
  // A refused update keeps what was stored.
  EXPECT_FALSE(t.put("a", settings_of(kSettingsBytes + 1), 20));
  EXPECT_EQ(read_back(a), settings_of(4000));
}

TEST(JobTable, RecordExitKeepsCodeOrSignalOrUnknown) {
  ScopedSegment s("exit");
  JobTable t = s.seg.table();
  uint32_t slot = *t.put("job", "{}", 20);
  JobInfo info;
  for (auto [status, code, sig] : {std::tuple{3 << 8, 3, 0}, {9, -1, 9}, {-1, -1, 0}}) {
    t.edit(slot, [](JobSlot& js) { js.pid = 77; js.state = static_cast<uint8_t>(JobState::kUp); });
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
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(t.put("job-" + std::to_string(i), "{}", 20));
  for (int i = 0; i < 256; i += 2) t.remove("job-" + std::to_string(i));
  for (int i = 0; i < 256; ++i) EXPECT_EQ(t.find("job-" + std::to_string(i)).has_value(), i % 2 == 1) << i;
}

TEST(JobTable, RepairRebuildsCountsAndIndex) {
  ScopedSegment s("repair");
  JobTable t = s.seg.table();
  t.put("a", "{}", 20);
  t.put("b", "{}", 20);
  // As if the insert of "b" died after it wrote the slot but before it
  // raised the mark: the one slot past the mark a dead writer can leave.
  s.seg.header().job_count.store(99);
  s.seg.header().high_water.store(1);
  t.repair([](std::string_view) { return true; });
  EXPECT_EQ(t.count(), 2u);
  EXPECT_TRUE(t.find("b"));
  int n = 0;
  t.for_each([&](const JobInfo&, const std::string&) { ++n; });
  EXPECT_EQ(n, 2);
}

TEST(JobTable, RepairDropsTheJobsNotKept) {
  ScopedSegment s("repairkeep");
  JobTable t = s.seg.table();
  t.put("a", "{}", 20);
  t.put("b", "{}", 20);
  t.put("c", "{}", 20);
  t.repair([](std::string_view name) { return name != "b"; });
  EXPECT_EQ(t.count(), 2u);
  EXPECT_FALSE(t.find("b"));
  EXPECT_TRUE(t.find("a") && t.find("c"));
}

TEST(JobTable, MarksOfARunsLife) {
  ScopedSegment s("marks");
  JobTable t = s.seg.table();
  uint32_t slot = *t.put("job", "{}", 20);
  t.set_next_retry("job", 99);
  t.mark_stop_requested("job");
  t.mark_started(slot, 4242, 777, 1000, 5, StartReason::kCrash);
  JobInfo info;
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.state, JobState::kUp);
  EXPECT_EQ(info.pid, 4242);
  EXPECT_EQ(info.start_ticks, 777u);
  EXPECT_EQ(info.started_at, 1000);
  EXPECT_EQ(info.flags & kJobStopRequested, 0u);  // a new run clears an old STOP
  EXPECT_EQ(info.next_retry_at, 0);
  EXPECT_EQ(info.start_reason, StartReason::kCrash);
  EXPECT_EQ(info.starts[size_t(StartReason::kCrash)], 1u);
  EXPECT_EQ(info.starts[size_t(StartReason::kManual)], 0u);
  EXPECT_EQ(t.log_progress(slot)[0].load(), 5u);
  EXPECT_EQ(t.log_progress(slot)[1].load(), 5u);
  t.mark_stopping(slot);
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.state, JobState::kStopping);
  EXPECT_NE(info.flags & kJobStopRequested, 0u);
  EXPECT_FALSE(t.record_exit_of(slot, 1111, 0, 2000));  // another pid: not this run's exit
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.pid, 4242);
  EXPECT_TRUE(t.record_exit_of(slot, 4242, 0, 2000));
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.state, JobState::kDown);
  EXPECT_EQ(info.last_exit_code, 0);
  t.count_restart(slot);
  t.count_restart("job");
  t.mark_adopted(slot, 5151, 888, 3000);
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.restarts, 2u);
  EXPECT_EQ(info.state, JobState::kUp);
  EXPECT_EQ(info.pid, 5151);
  t.mark_adopted(slot, 5151, 999, 4000);  // already up as that pid: kept as it is
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.start_ticks, 888u);
  t.mark_down(slot);
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.state, JobState::kDown);
  EXPECT_EQ(info.pid, 0);
}

TEST(JobTable, CountersStartAtZeroForEachNewJobInASlot) {
  ScopedSegment s("counters", {4, 8192, 8192});
  JobTable t = s.seg.table();
  uint32_t slot = *t.put("a", "{}", 20);
  t.mark_started(slot, 1, 1, 1, 0, StartReason::kScheduler);
  t.count_output(slot, 1, 7);
  shm::RunRecord run{};
  run.exit_code = 3;
  s.seg.history().append(slot, run);
  JobInfo info;
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.output_lines[1], 7u);
  EXPECT_EQ(s.seg.history().read(slot).size(), 1u);
  t.remove("a");
  ASSERT_EQ(t.put("b", "{}", 20), slot);  // the same slot, another job
  ASSERT_TRUE(t.read(slot, info));
  EXPECT_EQ(info.starts[size_t(StartReason::kScheduler)], 0u);
  EXPECT_EQ(info.output_lines[1], 0u);
  EXPECT_TRUE(s.seg.history().read(slot).empty());
}

TEST(JobTable, MarksByNameOfNoJobDoNothing) {
  ScopedSegment s("noname");
  JobTable t = s.seg.table();
  t.count_restart("ghost");
  t.set_next_retry("ghost", 5);
  t.mark_stop_requested("ghost");
  EXPECT_EQ(t.count(), 0u);
}

TEST(JobTable, ALeftOpenWriteIsRepairedByTheMaster) {
  ScopedSegment s("seq");
  JobTable t = s.seg.table();
  uint32_t slot = *t.put("a", "{}", 20);
  auto* slots = reinterpret_cast<JobSlot*>(s.seg.base() + s.seg.header().slots_offset);
  slots[slot].seq.fetch_add(1);  // a writer died mid-write
  JobInfo info;
  EXPECT_EQ(t.repair_seqs(), 1u);
  EXPECT_TRUE(t.read(slot, info));
}

}  // namespace
}  // namespace backend::shm
