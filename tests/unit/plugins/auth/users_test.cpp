#include "plugins/auth/users.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "plugins/auth/password.h"
#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::auth {
namespace {

User make_user(const std::string& hash, const char* privileges) {
  std::string error;
  return {hash, *parse_privileges(privileges, error), {}};
}

TEST(AuthUsers, RoundTripsThroughAFile) {
  backend::testing::TempDir dir;
  UserTable table;
  table.enabled = true;
  table.users.emplace("alice", make_user(*hash_password("pa"), "START,STOP"));
  User bob = make_user(*hash_password("pb"), "*");
  set_extra(bob.extra, "email", "\"bob@example.org\"");
  set_extra(bob.extra, "limits", "{\"n\":[1,2]}");
  table.users.emplace("bob \"the\" admin", bob);
  std::string path = dir.path + "/users.json";
  ASSERT_FALSE(worker::replace_file(path, serialise_users(table)));

  UserTable back;
  ASSERT_FALSE(read_users(path, back));
  EXPECT_TRUE(back.enabled);
  ASSERT_EQ(back.users.size(), 2u);
  const User* b = back.find("bob \"the\" admin");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->privileges.all);
  EXPECT_TRUE(verify_password(b->hash, "pb"));
  ASSERT_EQ(b->extra.size(), 2u);
  EXPECT_EQ(b->extra[0].first, "email");
  EXPECT_EQ(b->extra[1].second, "{\"n\":[1,2]}");
  EXPECT_EQ(format_privileges(back.find("alice")->privileges), "START,STOP");
  EXPECT_EQ(serialise_users(back), serialise_users(table));
}

TEST(AuthUsers, MissingFileIsAnEmptyTableWithAuthOff) {
  backend::testing::TempDir dir;
  UserTable table;
  table.enabled = true;
  ASSERT_FALSE(read_users(dir.path + "/users.json", table));
  EXPECT_FALSE(table.enabled);
  EXPECT_TRUE(table.users.empty());
  EXPECT_FALSE(table.guards());
}

TEST(AuthUsers, GuardsOnlyWhenEnabledWithAUser) {
  UserTable table;
  table.enabled = true;
  EXPECT_FALSE(table.guards());
  table.users.emplace("a", make_user("x", "*"));
  EXPECT_TRUE(table.guards());
  table.enabled = false;
  EXPECT_FALSE(table.guards());
}

TEST(AuthUsers, BrokenFilesAreRefusedWithASentence) {
  const char* bad[] = {
      "not json",
      "[]",
      "{\"version\":2}",
      "{\"enable\":\"yes\"}",
      "{\"users\":[]}",
      "{\"users\":{\"a\":{\"privileges\":\"*\"}}}",
      "{\"users\":{\"a\":{\"password\":\"x\"}}}",
      "{\"users\":{\"a\":{\"password\":\"x\",\"privileges\":\"bad name\"}}}",
      "{\"users\":{\"a\":{\"password\":1,\"privileges\":\"*\"}}}",
  };
  for (const char* text : bad) {
    SCOPED_TRACE(text);
    UserTable table;
    table.enabled = true;
    auto error = parse_users(text, table);
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("users.json"), std::string::npos) << *error;
    EXPECT_TRUE(table.enabled);  // untouched
  }
}

TEST(AuthUsers, ConvertsPlaintextPasswordsAndLeavesHashesAlone) {
  UserTable table;
  ASSERT_FALSE(parse_users(
      "{\"enable\":\"1\",\"users\":{\"old\":{\"username\":\"old\",\"password\":\"clear-pw\","
      "\"privileges\":\"START\",\"note\":\"kept\"}}}",
      table));
  EXPECT_TRUE(table.enabled);  // PHP-style boolean normalised
  std::string kept = *hash_password("other");
  table.users.emplace("new", make_user(kept, "*"));

  std::string error;
  auto converted = convert_plaintext(table, error);
  ASSERT_TRUE(converted) << error;
  EXPECT_EQ(*converted, 1u);
  EXPECT_EQ(table.find("new")->hash, kept);
  const User* old = table.find("old");
  EXPECT_TRUE(is_password_hash(old->hash));
  EXPECT_TRUE(verify_password(old->hash, "clear-pw"));
  std::string text = serialise_users(table);
  EXPECT_EQ(text.find("clear-pw"), std::string::npos) << text;
  EXPECT_NE(text.find("\"note\":\"kept\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"enable\":true"), std::string::npos) << text;

  error.clear();
  converted = convert_plaintext(table, error);
  ASSERT_TRUE(converted);
  EXPECT_EQ(*converted, 0u);
}

TEST(AuthUsers, RecordsAsReturnedNeverHoldThePassword) {
  UserTable table;
  User u = make_user(*hash_password("secret-pw"), " START , STOP ");
  set_extra(u.extra, "email", "\"a@b\"");
  set_extra(u.extra, "email", "\"c@d\"");  // replaced in place
  table.users.emplace("alice", u);
  std::string one = user_json("alice", u);
  EXPECT_EQ(one, "{\"username\":\"alice\",\"privileges\":\"START,STOP\",\"email\":\"c@d\"}");
  std::string all = users_json(table);
  EXPECT_EQ(all, "{\"alice\":" + one + "}");
  EXPECT_EQ(all.find("argon2"), std::string::npos);
  EXPECT_EQ(users_json(UserTable{}), "{}");
  rapidjson::Document doc;
  doc.Parse(all.c_str());
  EXPECT_TRUE(doc.IsObject());
}

}  // namespace
}  // namespace backend::plugins::auth
