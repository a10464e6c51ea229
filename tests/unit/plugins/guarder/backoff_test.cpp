#include "plugins/guarder/backoff.h"

#include <vector>

#include <gtest/gtest.h>

namespace backend::plugins::guarder {
namespace {

TEST(Backoff, AtOnceThenDoublingUpToTheCap) {
  Backoff b(60, 30);
  std::vector<uint64_t> waits;
  for (int i = 0; i < 9; ++i) waits.push_back(b.on_death(0));
  EXPECT_EQ(waits, (std::vector<uint64_t>{0, 1, 2, 4, 8, 16, 32, 60, 60}));
  EXPECT_EQ(b.deaths(), 9u);
}

TEST(Backoff, ARunThatLastedStartsTheCountAgain) {
  Backoff b(60, 30);
  b.on_death(0);
  b.on_death(1);
  EXPECT_EQ(b.on_death(29), 2u);  // still dying quickly
  EXPECT_EQ(b.on_death(30), 0u);  // stayed up for backoff_reset
  EXPECT_EQ(b.on_death(0), 1u);
}

TEST(Backoff, NeverOverflowsAfterManyDeaths) {
  Backoff b(3600, 30);
  uint64_t last = 0;
  for (int i = 0; i < 200; ++i) last = b.on_death(0);
  EXPECT_EQ(last, 3600u);
}

TEST(Backoff, NewLimitsApplyToTheNextWait) {
  Backoff b(60, 30);
  for (int i = 0; i < 5; ++i) b.on_death(0);
  b.set_limits(5, 30);
  EXPECT_EQ(b.on_death(0), 5u);
  b.reset();
  EXPECT_EQ(b.on_failed_start(), 0u);
}

}  // namespace
}  // namespace backend::plugins::guarder
