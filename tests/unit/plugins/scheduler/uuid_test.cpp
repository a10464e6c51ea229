#include "plugins/scheduler/uuid.h"

#include <set>

#include <gtest/gtest.h>

namespace backend::plugins::scheduler {
namespace {

TEST(SchedulerUuid, Version4ShapeAndUnique) {
  std::set<std::string> seen;
  for (int k = 0; k < 1000; ++k) {
    std::string u = random_uuid();
    ASSERT_EQ(u.size(), 36u);
    for (size_t i = 0; i < u.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        ASSERT_EQ(u[i], '-') << u;
      } else {
        ASSERT_TRUE((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f')) << u;
      }
    }
    ASSERT_EQ(u[14], '4') << u;
    ASSERT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace backend::plugins::scheduler
