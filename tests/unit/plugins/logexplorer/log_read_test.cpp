#include "plugins/logexplorer/log_read.h"

#include <string>

#include <fcntl.h>

#include <gtest/gtest.h>

#include "plugins/logexplorer/log_paths.h"
#include "tests/unit/plugins/logexplorer/temp_logs.h"

namespace backend::plugins::logexplorer {
namespace {

class LogRead : public ::testing::Test {
 protected:
  ReadResult read(const std::string& content, ReadRange range, uint64_t max_bytes = kDefaultMaxBytes) {
    logs_.file("f.log", content);
    Fd fd(::open(logs_.at("f.log").c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd);
    return read_range(fd.get(), range, max_bytes);
  }

  TempLogs logs_;
};

TEST_F(LogRead, WholeFileByDefault) {
  ReadResult r = read("0123456789", {});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.bytes, "0123456789");
  EXPECT_EQ(r.error, "");
}

TEST_F(LogRead, OffsetToTheEndIsNotCut) {
  ReadResult r = read("0123456789", {4, std::nullopt});
  EXPECT_EQ(r.bytes, "456789");
  EXPECT_EQ(r.error, "");
}

TEST_F(LogRead, LengthShorterThanTheRestIsCutWithWhereToContinue) {
  ReadResult r = read("0123456789", {2, 3});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.bytes, "234");
  EXPECT_EQ(r.error,
            "content cut: returned 3 bytes from offset 2 of a file of 10 bytes; continue from offset 5");
}

TEST_F(LogRead, LengthReachingTheEndExactlyIsNotCut) {
  ReadResult r = read("0123456789", {2, 8});
  EXPECT_EQ(r.bytes, "23456789");
  EXPECT_EQ(r.error, "");
}

TEST_F(LogRead, TheCapCutsAndSaysSo) {
  ReadResult r = read("0123456789", {}, 4);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.bytes, "0123");
  EXPECT_EQ(r.error,
            "content cut at the limit of 4 bytes: returned 4 bytes from offset 0 of a file of 10 bytes; "
            "continue from offset 4");
}

TEST_F(LogRead, TheCapBoundsALongerLength) {
  ReadResult r = read("0123456789", {1, 100}, 4);
  EXPECT_EQ(r.bytes, "1234");
  EXPECT_NE(r.error.find("at the limit of 4 bytes"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("continue from offset 5"), std::string::npos) << r.error;
}

TEST_F(LogRead, TheCapExactlyTheFileIsNotCut) {
  ReadResult r = read("0123", {}, 4);
  EXPECT_EQ(r.bytes, "0123");
  EXPECT_EQ(r.error, "");
}

TEST_F(LogRead, OffsetAtOrPastTheEndGivesNothing) {
  for (uint64_t offset : {uint64_t{10}, uint64_t{11}, uint64_t{1} << 62}) {
    ReadResult r = read("0123456789", {offset, std::nullopt});
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.bytes, "");
    EXPECT_EQ(r.error, "");
  }
}

TEST_F(LogRead, EmptyFileAndZeroLength) {
  EXPECT_EQ(read("", {}).bytes, "");
  ReadResult r = read("abc", {0, 0});
  EXPECT_EQ(r.bytes, "");
  EXPECT_NE(r.error.find("continue from offset 0"), std::string::npos) << r.error;
}

TEST_F(LogRead, ACutDoesNotSplitACharacter) {
  // "é" is C3 A9: a cut after C3 leaves it for the next part.
  ReadResult r = read("ab\xC3\xA9z", {}, 3);
  EXPECT_EQ(r.bytes, "ab");
  EXPECT_NE(r.error.find("returned 2 bytes"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("continue from offset 2"), std::string::npos) << r.error;
  ReadResult next = read("ab\xC3\xA9z", {2, std::nullopt}, 3);
  EXPECT_EQ(next.bytes, "\xC3\xA9z");
}

TEST(LogReadUtf8, CutPoint) {
  EXPECT_EQ(utf8_cut_point(""), 0u);
  EXPECT_EQ(utf8_cut_point("abc"), 3u);
  EXPECT_EQ(utf8_cut_point("a\xC3\xA9"), 3u);            // complete 2-byte
  EXPECT_EQ(utf8_cut_point("a\xC3"), 1u);                // lead of 2
  EXPECT_EQ(utf8_cut_point("a\xE2\x82"), 1u);            // 2 of 3 (€)
  EXPECT_EQ(utf8_cut_point("a\xE2\x82\xAC"), 4u);        // complete 3-byte
  EXPECT_EQ(utf8_cut_point("a\xF0\x9F\x98"), 1u);        // 3 of 4
  EXPECT_EQ(utf8_cut_point("a\xF0\x9F\x98\x80"), 5u);    // complete 4-byte
  EXPECT_EQ(utf8_cut_point("\xC3"), 1u);                 // all there is: kept
  EXPECT_EQ(utf8_cut_point("a\xFF"), 2u);                // not a lead byte: kept
  EXPECT_EQ(utf8_cut_point("a\x80\x80\x80"), 4u);        // stray continuations: kept
}

}  // namespace
}  // namespace backend::plugins::logexplorer
