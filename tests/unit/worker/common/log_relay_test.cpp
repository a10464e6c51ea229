#include "worker/common/log_relay.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace backend::worker {
namespace {

using Records = std::vector<std::pair<std::string, std::string>>;

RelayReader::Out collect(Records& into) {
  return [&into](std::string_view hour, std::string_view text) { into.emplace_back(hour, text); };
}

TEST(LogRelay, RecordsComeOutWholeHoweverThePipeCutsThem) {
  std::string stream = relay_record("2026112513", "[26-11-25 13:59:59] first\n") +
                       relay_record("2026112514", "[26-11-25 14:00:00] second\nwith a newline inside\n") +
                       relay_record("2026112514", "");
  for (size_t piece : {1u, 3u, 17u, 18u, 19u, 1000u}) {
    RelayReader reader;
    Records got;
    for (size_t at = 0; at < stream.size(); at += piece) reader.feed(std::string_view(stream).substr(at, piece), collect(got));
    ASSERT_EQ(got.size(), 3u) << "pieces of " << piece;
    EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"2026112513", "[26-11-25 13:59:59] first\n"}));
    EXPECT_EQ(got[1].first, "2026112514");
    EXPECT_EQ(got[1].second, "[26-11-25 14:00:00] second\nwith a newline inside\n");
    EXPECT_EQ(got[2].second, "");
    EXPECT_EQ(reader.pending(), 0u);
    EXPECT_EQ(reader.discarded(), 0u);
  }
}

TEST(LogRelay, AHalfRecordWaitsForItsRest) {
  std::string record = relay_record("2026112513", "line\n");
  RelayReader reader;
  Records got;
  reader.feed(std::string_view(record).substr(0, record.size() - 1), collect(got));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(reader.pending(), record.size() - 1);
  reader.feed("\n", collect(got));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "line\n");
}

// Garbage cannot be resynchronised: it is dropped and counted, nothing is
// written from it, and nothing is kept that would grow without bound.
TEST(LogRelay, BytesThatAreNoRecordAreDroppedAndCounted) {
  RelayReader reader;
  Records got;
  reader.feed("not a record header at all\n", collect(got));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(reader.pending(), 0u);
  EXPECT_EQ(reader.discarded(), 27u);
  reader.feed("2026112513ffffffff", collect(got));  // longer than any record may be
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(reader.pending(), 0u);
  reader.feed(relay_record("2026112513", "after\n"), collect(got));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second, "after\n");
}

}  // namespace
}  // namespace backend::worker
