#include "worker/common/byte_buffer.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace backend::worker
