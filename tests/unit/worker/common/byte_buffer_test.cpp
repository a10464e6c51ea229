#include "worker/common/byte_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace backend::worker {
namespace {

TEST(ByteBuffer, GrowKeepsWhatWasWrittenAcrossReallocations) {
  ByteBuffer b;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = std::to_string(i) + ",";
    b.append(piece);
    expected += piece;
  }
  EXPECT_EQ(b.view(), expected);
  EXPECT_GE(b.capacity(), b.size());
}

TEST(ByteBuffer, ShrinkByGivesBackUnwrittenBytes) {
  ByteBuffer b;
  b.append("ab");
  char* at = b.grow(10);
  at[0] = 'c';
  b.shrink_by(9);
  EXPECT_EQ(b.view(), "abc");
}

TEST(ByteBuffer, ConsumeDropsTheFrontAndKeepsTheRest) {
  ByteBuffer b;
  b.append("line one\npartial");
  b.consume(9);
  EXPECT_EQ(b.view(), "partial");
  b.consume(100);
  EXPECT_TRUE(b.empty());
  b.append("again");
  EXPECT_EQ(b.view(), "again");
}

TEST(ByteBuffer, MoveLeavesTheSourceEmptyAndReusable) {
  ByteBuffer a;
  a.append("kept");
  size_t cap = a.capacity();
  ByteBuffer b = std::move(a);
  EXPECT_EQ(b.view(), "kept");
  EXPECT_EQ(b.capacity(), cap);
  EXPECT_TRUE(a.empty());     // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(a.capacity(), 0u);  // NOLINT(bugprone-use-after-move)
  a.append("new");
  EXPECT_EQ(a.view(), "new");
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), cap);  // clear keeps the memory for the next batch
}

// Past kHugeBytes the buffer is a mapping of its own, aligned to and sized
// in huge pages; what was written moves across, and so does the block.
TEST(ByteBuffer, ALargeBlockIsHugePageAlignedAndKeepsItsBytes) {
  ByteBuffer b;
  std::string expected;
  for (int i = 0; expected.size() < 5 * ByteBuffer::kHugeBytes; ++i) {
    std::string piece = "line " + std::to_string(i) + "\n";
    b.append(piece);
    expected += piece;
  }
  EXPECT_EQ(b.view(), expected);
  EXPECT_EQ(b.capacity() % ByteBuffer::kHugeBytes, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.view().data()) % ByteBuffer::kHugeBytes, 0u);
  ByteBuffer moved = std::move(b);
  EXPECT_EQ(moved.view(), expected);
  b = std::move(moved);  // back into the moved-from one
  EXPECT_EQ(b.view(), expected);
  b.consume(expected.size() - 4);
  EXPECT_EQ(b.view(), expected.substr(expected.size() - 4));
  ByteBuffer small;
  small.append("x");
  small = std::move(b);  // a small block let go for a large one
  EXPECT_EQ(small.size(), 4u);
}

}  // namespace
}  // namespace backend::worker
