#include "shm/ring.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace backend::shm {
namespace {

struct LocalRing {
  explicit LocalRing(uint32_t capacity) : data(capacity) {
    Ring::init(&header, capacity);
  }
  Ring ring() { return Ring(&header, data.data()); }
  RingHeader header;
  std::vector<char> data;
};

std::vector<std::string> texts(const std::vector<RingLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.text);
  return out;
}

TEST(Ring, KeepsTheNewestLinesInOrder) {
  LocalRing r(4096);
  Ring ring = r.ring();
  for (int i = 1; i <= 30; ++i) ring.append("line" + std::to_string(i));
  EXPECT_EQ(texts(ring.last(3)), (std::vector<std::string>{"line28", "line29", "line30"}));
  EXPECT_EQ(ring.last(100).size(), 30u);
  EXPECT_EQ(ring.last(1)[0].number, 29u);
  EXPECT_EQ(join_lines(ring.last(2)), "line29\nline30");
}

TEST(Ring, DropsTheOldestWhenFullAndWrapsAround) {
  LocalRing r(256);
  Ring ring = r.ring();
  for (int i = 0; i < 1000; ++i) ring.append("x" + std::to_string(i));  // wraps many times
  auto lines = ring.last(1000);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().text, "x999");
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_EQ(lines[i].number, lines[i - 1].number + 1);
  size_t bytes = 0;
  for (const auto& l : lines) bytes += l.text.size() + Ring::kOverhead;
  EXPECT_LE(bytes, 256u);
  EXPECT_GT(bytes, 256u - 2 * (Ring::kOverhead + 4));  // nearly full: nothing dropped early
}

TEST(Ring, CutsALineLongerThanTheRing) {
  LocalRing r(128);
  Ring ring = r.ring();
  ring.append(std::string(1000, 'a'));
  auto lines = ring.last(5);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text.size(), 128u - Ring::kOverhead);
}

TEST(Ring, EmptyLinesAndEmptyRing) {
  LocalRing r(1024);
  Ring ring = r.ring();
  EXPECT_TRUE(ring.last(10).empty());
  ring.append("");
  ring.append("b");
  EXPECT_EQ(texts(ring.last(10)), (std::vector<std::string>{"", "b"}));
}

TEST(Ring, RemembersWhichStreamALineCameFrom) {
  LocalRing r(4096);
  Ring ring = r.ring();
  EXPECT_EQ(ring.append("out"), 0u);
  EXPECT_EQ(ring.append("err", true), 1u);
  auto lines = ring.last(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_FALSE(lines[0].is_err);
  EXPECT_TRUE(lines[1].is_err);
  EXPECT_EQ(lines[1].number, 1u);  // the stream flag is not part of the number
}

TEST(Ring, SinceReturnsOnlyNewLinesAndTheNextNumber) {
  LocalRing r(4096);
  Ring ring = r.ring();
  uint64_t next = 0;
  EXPECT_TRUE(ring.since(0, 100, next).empty());
  EXPECT_EQ(next, 0u);
  ring.append("a");
  ring.append("b");
  EXPECT_EQ(texts(ring.since(next, 100, next)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(next, 2u);
  EXPECT_TRUE(ring.since(next, 100, next).empty());
  ring.append("c");
  EXPECT_EQ(texts(ring.since(next, 100, next)), (std::vector<std::string>{"c"}));
  uint64_t current = next;
  EXPECT_TRUE(ring.since(current + 1000, 100, next).empty());  // a number from an older ring
  EXPECT_EQ(next, current);
  EXPECT_EQ(next, 3u);
}

TEST(Ring, ClearForgetsLinesButNumberingGoesOn) {
  LocalRing r(4096);
  Ring ring = r.ring();
  ring.append("old");
  ring.clear();
  EXPECT_TRUE(ring.last(10).empty());
  ring.append("new");
  auto lines = ring.last(10);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].number, 1u);
}

// A reader racing a writer in another process never sees a torn or
// misnumbered line: every line it gets is one the writer wrote, in order.
TEST(Ring, ConcurrentReaderSeesOnlyWholeLines) {
  void* mem = mmap(nullptr, sizeof(RingHeader) + 512, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  auto* header = static_cast<RingHeader*>(mem);
  Ring::init(header, 512);
  Ring ring(header, static_cast<char*>(mem) + sizeof(RingHeader));
  pid_t writer = fork();
  if (writer == 0) {
    for (int i = 0; i < 200000; ++i) ring.append("line-" + std::to_string(i) + std::string(i % 37, '.'));
    _exit(0);
  }
  int bad = 0, reads = 0;
  while (waitpid(writer, nullptr, WNOHANG) == 0) {
    for (const auto& l : ring.last(20)) {
      std::string want = "line-" + std::to_string(l.number) + std::string(l.number % 37, '.');
      if (l.text != want) ++bad;
    }
    ++reads;
  }
  EXPECT_EQ(bad, 0);
  EXPECT_GT(reads, 10);
  munmap(mem, sizeof(RingHeader) + 512);
}

// A writer killed mid-commit, before head was published: its pending
// offsets mean nothing and settle() leaves `taken` as it was.
TEST(Ring, SettleIgnoresACommitThatWasNeverPublished) {
  LocalRing r(4096);
  Ring ring = r.ring();
  const uint64_t base[2] = {0, 100};
  ring.reset_capture(base);
  std::vector<std::string_view> lines{"a", "b"};
  EXPECT_EQ(ring.append_captured("> ", lines, false, 0, 4), 0u);
  EXPECT_EQ(ring.taken(0), 4u);
  r.header.pending_head.store(r.header.head.load() + 99);  // the next commit, cut short
  r.header.pending_stream.store(0);
  r.header.pending_taken.store(1000);
  ring.settle();
  EXPECT_EQ(ring.taken(0), 4u);
  EXPECT_EQ(ring.taken(1), 100u);
  EXPECT_EQ(texts(ring.last(5)), (std::vector<std::string>{"> a", "> b"}));
}

// Killed between publishing head and the line count: the next line must
// not reuse a number that is already in the ring.
TEST(Ring, SettleRestoresTheNumberingAfterTheNewestLine) {
  LocalRing r(4096);
  Ring ring = r.ring();
  for (int i = 0; i < 5; ++i) ring.append("l" + std::to_string(i));
  r.header.next_line.store(4);
  ring.settle();
  EXPECT_EQ(ring.next_line(), 5u);
  EXPECT_EQ(ring.append("l5"), 5u);
}

// A commit larger than the ring keeps its newest lines, numbered as if
// every line had been written.
TEST(Ring, ACommitLargerThanTheRingKeepsItsNewestLines) {
  LocalRing r(1024);
  Ring ring = r.ring();
  const uint64_t base[2] = {0, 0};
  ring.reset_capture(base);
  ring.append("old");
  std::vector<std::string> texts_in;
  for (int i = 0; i < 100; ++i) texts_in.push_back("line" + std::to_string(i));
  std::vector<std::string_view> lines(texts_in.begin(), texts_in.end());
  EXPECT_EQ(ring.append_captured("", lines, false, 0, 600), 1u);
  auto kept = ring.last(1000);
  ASSERT_FALSE(kept.empty());
  EXPECT_LT(kept.size(), 100u);
  EXPECT_EQ(kept.back().text, "line99");
  EXPECT_EQ(kept.back().number, 100u);
  for (size_t i = 1; i < kept.size(); ++i) EXPECT_EQ(kept[i].number, kept[i - 1].number + 1);
  EXPECT_EQ(kept.front().text, "line" + std::to_string(kept.front().number - 1));
  EXPECT_EQ(ring.next_line(), 101u);
  EXPECT_EQ(ring.taken(0), 600u);
}

}  // namespace
}  // namespace backend::shm
