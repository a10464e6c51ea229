#include "plugins/auth/password.h"

#include <gtest/gtest.h>

namespace backend::plugins::auth {
namespace {

TEST(AuthPassword, RightPasswordVerifiesAndWrongOneDoesNot) {
  auto hash = hash_password("s3cret");
  ASSERT_TRUE(hash);
  EXPECT_TRUE(is_password_hash(*hash));
  EXPECT_EQ(hash->find("s3cret"), std::string::npos);
  EXPECT_TRUE(verify_password(*hash, "s3cret"));
  EXPECT_FALSE(verify_password(*hash, "s3cret "));
  EXPECT_FALSE(verify_password(*hash, ""));
}

TEST(AuthPassword, SamePasswordHashesDifferentlyEachTime) {
  auto a = hash_password("same");
  auto b = hash_password("same");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // salted
  EXPECT_TRUE(verify_password(*a, "same"));
  EXPECT_TRUE(verify_password(*b, "same"));
}

TEST(AuthPassword, PasswordsWithNulBytesAreComparedWhole) {
  std::string pw("a\0b", 3);
  auto hash = hash_password(pw);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(verify_password(*hash, pw));
  EXPECT_FALSE(verify_password(*hash, "a"));
}

TEST(AuthPassword, PlaintextIsNeitherAHashNorVerifiable) {
  EXPECT_FALSE(is_password_hash("hunter2"));
  EXPECT_FALSE(is_password_hash("$argon2i$v=19$m=4096,t=3,p=1$x$y"));
  // A plaintext "hash" must not let its own text in.
  EXPECT_FALSE(verify_password("hunter2", "hunter2"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "garbage"));
  EXPECT_FALSE(verify_password("", ""));
}

}  // namespace
}  // namespace backend::plugins::auth
