#include "worker/common/user_lookup.h"

#include <gtest/gtest.h>
#include <pwd.h>

#include <algorithm>

namespace backend::worker {
namespace {

TEST(UserLookup, ResolvesAUserWithItsGroupsAndNamesOneThatIsMissing) {
  Identity root;
  ASSERT_FALSE(resolve_identity("root", root));
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.gid, 0u);
  EXPECT_NE(std::find(root.groups.begin(), root.groups.end(), 0u), root.groups.end());
  Identity nobody;
  ASSERT_FALSE(resolve_identity("nobody", nobody));
  EXPECT_EQ(nobody.uid, getpwnam("nobody")->pw_uid);
  Identity none;
  auto err = resolve_identity("no-such-user-here", none);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "there is no user \"no-such-user-here\"");
}

}  // namespace
}  // namespace backend::worker
