#include "worker/supervisor/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace backend::worker {
namespace {

// Feeds data `chunk` bytes at a time, keeping the unused rest as a reader does.
std::vector<std::string> split_in_chunks(const std::string& data, size_t chunk) {
  std::vector<std::string> lines;
  auto emit = [&](std::string_view l) { lines.emplace_back(l); };
  std::string kept;
  for (size_t i = 0; i < data.size(); i += chunk) {
    kept += data.substr(i, chunk);
    kept.erase(0, take_lines(kept, false, emit));
  }
  take_lines(kept, true, emit);
  return lines;
}

TEST(LineSplitter, SameLinesWhateverTheReadBoundaries) {
  std::string data = "first\nsecond line\n\nfourth\nunterminated";
  std::vector<std::string> want = {"first", "second line", "", "fourth", "unterminated"};
  for (size_t chunk = 1; chunk <= data.size(); ++chunk) EXPECT_EQ(split_in_chunks(data, chunk), want) << chunk;
}

TEST(LineSplitter, CutsLongLinesIntoPiecesOfTheLimit) {
  const size_t max = kMaxLine;
  std::string data = std::string(max * 2 + 10, 'a') + "\n" + std::string(max, 'b') + "\nend\n";
  for (size_t chunk : {size_t(1), size_t(1000), size_t(4096), max, max + 1, data.size()}) {
    auto lines = split_in_chunks(data, chunk);
    ASSERT_EQ(lines.size(), 5u) << chunk;
    EXPECT_EQ(lines[0], std::string(max, 'a'));
    EXPECT_EQ(lines[1], std::string(max, 'a'));
    EXPECT_EQ(lines[2], std::string(10, 'a'));
    EXPECT_EQ(lines[3], std::string(max, 'b'));  // exactly the limit: one piece, no empty line after
    EXPECT_EQ(lines[4], "end");
  }
}

TEST(LineSplitter, AnUnterminatedRestIsLeftUnlessAtTheEnd) {
  int n = 0;
  auto count = [&](std::string_view) { ++n; };
  EXPECT_EQ(take_lines("a\nb\npar", false, count), 4u);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(take_lines("par", true, count), 3u);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(take_lines("", true, count), 0u);
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace backend::worker
