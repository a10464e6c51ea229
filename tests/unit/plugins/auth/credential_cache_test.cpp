#include "plugins/auth/credential_cache.h"

#include <gtest/gtest.h>

#include "plugins/auth/password.h"

namespace backend::plugins::auth {
namespace {

// Stands in for argon2: "hash" H matches password P when H == "h:" + P.
struct CountingVerify {
  int calls = 0;
  CredentialCache::Verify fn() {
    return [this](const std::string& hash, std::string_view password) {
      ++calls;
      return hash == "h:" + std::string(password);
    };
  }
};

TEST(AuthCredentialCache, SecondCheckWithSameCredentialsSkipsTheHasher) {
  CountingVerify v;
  CredentialCache cache(v.fn());
  EXPECT_TRUE(cache.check("alice", "pw", "h:pw"));
  EXPECT_TRUE(cache.check("alice", "pw", "h:pw"));
  EXPECT_TRUE(cache.check("alice", "pw", "h:pw"));
  EXPECT_EQ(v.calls, 1);
}

TEST(AuthCredentialCache, AFailureIsNeverTakenForSuccess) {
  CountingVerify v;
  CredentialCache cache(v.fn());
  EXPECT_FALSE(cache.check("alice", "wrong", "h:pw"));
  EXPECT_FALSE(cache.check("alice", "wrong", "h:pw"));  // remembered as a failure
  EXPECT_EQ(v.calls, 1);
  EXPECT_TRUE(cache.check("alice", "pw", "h:pw"));
  EXPECT_EQ(v.calls, 2);
}

TEST(AuthCredentialCache, OtherUsersAndSplitsDoNotHit) {
  CountingVerify v;
  CredentialCache cache(v.fn());
  EXPECT_TRUE(cache.check("ab", "c", "h:c"));
  // Same bytes with the boundary moved: a different entry, verified anew.
  EXPECT_FALSE(cache.check("a", "bc", "h:c"));
  EXPECT_TRUE(cache.check("bob", "c", "h:c"));
  EXPECT_EQ(v.calls, 3);
}

TEST(AuthCredentialCache, ForgetUserDropsOnlyThatUser) {
  CountingVerify v;
  CredentialCache cache(v.fn());
  cache.check("alice", "pw", "h:pw");
  cache.check("alice", "bad", "h:pw");
  cache.check("bob", "pw", "h:pw");
  EXPECT_EQ(cache.size(), 3u);
  cache.forget_user("alice");
  EXPECT_EQ(cache.size(), 1u);
  v.calls = 0;
  cache.check("bob", "pw", "h:pw");
  EXPECT_EQ(v.calls, 0);
  cache.check("alice", "pw", "h:pw");
  EXPECT_EQ(v.calls, 1);
}

TEST(AuthCredentialCache, OldPasswordStopsWorkingOnceTheHashChanges) {
  CountingVerify v;
  CredentialCache cache(v.fn());
  EXPECT_TRUE(cache.check("alice", "old", "h:old"));
  // Even without forget_user the new hash is part of the key.
  EXPECT_FALSE(cache.check("alice", "old", "h:new"));
  cache.forget_user("alice");
  EXPECT_FALSE(cache.check("alice", "old", "h:new"));
  EXPECT_TRUE(cache.check("alice", "new", "h:new"));
}

TEST(AuthCredentialCache, ClearForgetsEverything) {
  CountingVerify v;
  CredentialCache cache(v.fn());
  cache.check("alice", "pw", "h:pw");
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  cache.check("alice", "pw", "h:pw");
  EXPECT_EQ(v.calls, 2);
}

TEST(AuthCredentialCache, IsBoundedAndEvictsTheOldest) {
  CountingVerify v;
  CredentialCache cache(v.fn(), 3);
  for (int i = 0; i < 5; ++i) cache.check("u" + std::to_string(i), "pw", "h:pw");
  EXPECT_EQ(cache.size(), 3u);
  v.calls = 0;
  cache.check("u4", "pw", "h:pw");
  cache.check("u2", "pw", "h:pw");
  EXPECT_EQ(v.calls, 0);
  cache.check("u0", "pw", "h:pw");  // evicted
  EXPECT_EQ(v.calls, 1);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(AuthCredentialCache, WorksWithRealHashes) {
  int calls = 0;
  CredentialCache cache([&](const std::string& hash, std::string_view pw) {
    ++calls;
    return verify_password(hash, pw);
  });
  std::string hash = *hash_password("pw");
  EXPECT_TRUE(cache.check("alice", "pw", hash));
  EXPECT_TRUE(cache.check("alice", "pw", hash));
  EXPECT_FALSE(cache.check("alice", "px", hash));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace backend::plugins::auth
