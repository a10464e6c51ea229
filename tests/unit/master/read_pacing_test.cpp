#include "master/read_pacing.h"

#include <gtest/gtest.h>

namespace backend::master {
namespace {

constexpr int64_t kWindow = ReadPacing::kWindowMs;

TEST(ReadPacing, AFirstMessageAfterAQuietSpellIsReadAtOnce) {
  ReadPacing p;
  EXPECT_TRUE(p.due(1000));
  EXPECT_EQ(p.wake_at(1000), -1);  // nothing to wake for: the source is polled
}

TEST(ReadPacing, AfterAReadTheNextWaitsForTheWindowsEnd) {
  ReadPacing p;
  p.read(1000, true);
  EXPECT_FALSE(p.due(1000));
  EXPECT_FALSE(p.due(1000 + kWindow - 1));
  EXPECT_EQ(p.wake_at(1000 + 3), 1000 + kWindow);
  EXPECT_TRUE(p.due(1000 + kWindow));
  // Past its end the window asks for no wake-up of its own: a loop that
  // found nothing more blocks until the source wakes it.
  EXPECT_EQ(p.wake_at(1000 + kWindow), -1);
  EXPECT_EQ(p.wake_at(5000), -1);
}

TEST(ReadPacing, AReadThatLeftMoreBehindStartsNoWindow) {
  ReadPacing p;
  p.read(1000, false);
  EXPECT_TRUE(p.due(1000));
  EXPECT_EQ(p.wake_at(1000), -1);
}

TEST(ReadPacing, EachReadStartsItsOwnWindow) {
  ReadPacing p;
  p.read(1000, true);
  p.read(1000 + kWindow, true);
  EXPECT_FALSE(p.due(1000 + kWindow + 1));
  EXPECT_EQ(p.wake_at(1000 + kWindow + 1), 1000 + 2 * kWindow);
}

}  // namespace
}  // namespace backend::master
