#include "master/respawn.h"

#include <gtest/gtest.h>

namespace backend::master {
namespace {

TEST(Respawn, FirstDeathAfterALongLifeIsImmediate) {
  Respawn r;
  EXPECT_EQ(r.on_death(60000), 0);
}

TEST(Respawn, BacksOffWhileItKeepsDyingYoungThenResets) {
  Respawn r;
  EXPECT_EQ(r.on_death(10), 0);
  EXPECT_EQ(r.on_death(10), 100);
  EXPECT_EQ(r.on_death(10), 200);
  EXPECT_EQ(r.on_death(10), 400);
  for (int i = 0; i < 20; ++i) r.on_death(10);
  EXPECT_EQ(r.on_death(10), Respawn::kMaxDelayMs);
  EXPECT_EQ(r.on_death(Respawn::kStableMs), 0);
}

}  // namespace
}  // namespace backend::master
