#include "shm/segment.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/job_table.h"
#include "shm/ring.h"
#include "tests/unit/shm/test_segment.h"

namespace backend::shm {
namespace {

using testing::ScopedSegment;
using testing::unique_segment_name;

TEST(Segment, CreateWritesACheckedHeader) {
  ScopedSegment s("hdr");
  const Header& h = s.seg.header();
  EXPECT_EQ(h.layout_version, kLayoutVersion);
  EXPECT_EQ(h.boost_version, unsigned(BOOST_VERSION));
  EXPECT_EQ(h.master_pid, getpid());
  EXPECT_EQ(h.capacity, 16u);
  EXPECT_EQ(h.segment_size, s.seg.size());
  auto again = Segment::attach(s.name, true);
  EXPECT_EQ(again.header().segment_size, h.segment_size);
}

TEST(Segment, AttachToAMissingSegmentSaysNoServerRuns) {
  try {
    Segment::attach(unique_segment_name("none"), true);
    FAIL() << "attached to nothing";
  } catch (const SegmentError& e) {
    EXPECT_NE(std::string(e.what()).find("no server runs"), std::string::npos) << e.what();
  }
}

TEST(Segment, AttachRefusesAnotherLayoutVersion) {
  ScopedSegment s("ver");
  s.seg.header().layout_version = kLayoutVersion + 1;
  try {
    Segment::attach(s.name, true);
    FAIL() << "attached to another layout";
  } catch (const SegmentError& e) {
    EXPECT_NE(std::string(e.what()).find("layout version"), std::string::npos) << e.what();
  }
}

TEST(Segment, AttachRefusesForeignMagic) {
  ScopedSegment s("magic");
  s.seg.header().magic[0] = 'X';
  EXPECT_THROW(Segment::attach(s.name, true), SegmentError);
}

TEST(Segment, CreateRefusesWhileItsMasterLivesAndReplacesADeadOnesSegment) {
  std::string name = unique_segment_name("owner");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    Segment::create(name, {4, 8192, 8192});
    char c = 1;
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  try {
    Segment::create(name, {4, 8192, 8192});
    FAIL() << "created over a live server's segment";
  } catch (const SegmentError& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(child)), std::string::npos) << e.what();
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto seg = Segment::create(name, {4, 8192, 8192});  // the dead one's is replaced
  EXPECT_EQ(seg.header().master_pid, getpid());
  Segment::remove(name);
}

TEST(Segment, JobRingsAreSeparateAndTheServerRingWorks) {
  ScopedSegment s("rings");
  JobTable t = s.seg.table();
  uint32_t a = *t.put("a", "{}", 20);
  uint32_t b = *t.put("b", "{}", 20);
  s.seg.job_ring(a).append("from a");
  s.seg.job_ring(b).append("from b");
  s.seg.server_ring().append("server line");
  EXPECT_EQ(join_lines(s.seg.job_ring(a).last(5)), "from a");
  EXPECT_EQ(join_lines(s.seg.job_ring(b).last(5)), "from b");
  EXPECT_EQ(join_lines(s.seg.server_ring().last(5)), "server line");
}

TEST(Segment, ANewJobInAReusedSlotStartsWithAnEmptyRing) {
  ScopedSegment s("reuse");
  JobTable t = s.seg.table();
  uint32_t a = *t.put("a", "{}", 20);
  s.seg.job_ring(a).append("old output");
  t.remove("a");
  uint32_t b = *t.put("b", "{}", 20);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(s.seg.job_ring(b).last(5).empty());
}

TEST(Segment, NameComesFromTheListenAddress) {
  EXPECT_EQ(segment_name_for("127.0.0.1", 13123), "backend-server-127.0.0.1-13123");
  EXPECT_EQ(segment_name_for("::1", 80), "backend-server---1-80");
}

}  // namespace
}  // namespace backend::shm
