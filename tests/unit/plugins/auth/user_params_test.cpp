#include "plugins/auth/user_params.h"

#include <gtest/gtest.h>

namespace backend::plugins::auth {
namespace {

rapidjson::Document parse(const char* json) {
  rapidjson::Document d;
  d.Parse(json);
  return d;
}

std::optional<std::string> fields(const char* json, bool adding, UserFields& out) {
  auto d = parse(json);
  return read_user_fields(d, adding, out);
}

TEST(AuthUserParams, AddTakesEveryFieldAndKeepsExtras) {
  UserFields f;
  ASSERT_FALSE(fields(
      "{\"username\":\"alice\",\"password\":\"pw\",\"privileges\":\" START , STOP \","
      "\"email\":\"a@b\",\"n\":[1]}",
      true, f));
  EXPECT_EQ(f.username, "alice");
  EXPECT_EQ(*f.password, "pw");
  EXPECT_EQ(format_privileges(*f.privileges), "START,STOP");
  ASSERT_EQ(f.extra.size(), 2u);
  EXPECT_EQ(f.extra[0], (std::pair<std::string, std::string>{"email", "\"a@b\""}));
  EXPECT_EQ(f.extra[1], (std::pair<std::string, std::string>{"n", "[1]"}));
}

TEST(AuthUserParams, AddRefusesMissingAndWrongFields) {
  struct Case {
    const char* json;
    const char* names;  // a word the sentence must hold
  };
  const Case cases[] = {
      {"{\"password\":\"pw\",\"privileges\":\"*\"}", "username is required"},
      {"{\"username\":\"\",\"password\":\"pw\",\"privileges\":\"*\"}", "username"},
      {"{\"username\":7,\"password\":\"pw\",\"privileges\":\"*\"}", "username"},
      {"{\"username\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
       "\"password\":\"pw\",\"privileges\":\"*\"}",
       "64"},
      {"{\"username\":\"a\\u0000b\",\"password\":\"pw\",\"privileges\":\"*\"}", "NUL"},
      {"{\"username\":\"a\",\"privileges\":\"*\"}", "password is required"},
      {"{\"username\":\"a\",\"password\":\"\",\"privileges\":\"*\"}", "password"},
      {"{\"username\":\"a\",\"password\":123,\"privileges\":\"*\"}", "password"},
      {"{\"username\":\"a\",\"password\":\"pw\"}", "privileges is required"},
      {"{\"username\":\"a\",\"password\":\"pw\",\"privileges\":[\"START\"]}", "privileges"},
      {"{\"username\":\"a\",\"password\":\"pw\",\"privileges\":\"BAD NAME\"}", "BAD NAME"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    UserFields f;
    auto error = fields(c.json, true, f);
    ASSERT_TRUE(error);
    EXPECT_NE(error->find(c.names), std::string::npos) << *error;
  }
}

TEST(AuthUserParams, SixtyFourByteUsernameIsAccepted) {
  UserFields f;
  std::string name(64, 'x');
  std::string json = "{\"username\":\"" + name + "\",\"password\":\"p\",\"privileges\":\"*\"}";
  EXPECT_FALSE(fields(json.c_str(), true, f));
  EXPECT_EQ(f.username, name);
}

TEST(AuthUserParams, UpdateTakesOnlyWhatIsGiven) {
  UserFields f;
  ASSERT_FALSE(fields("{\"username\":\"alice\",\"email\":null}", false, f));
  EXPECT_FALSE(f.password);
  EXPECT_FALSE(f.privileges);
  ASSERT_EQ(f.extra.size(), 1u);
  EXPECT_EQ(f.extra[0].second, "null");
  UserFields g;
  EXPECT_TRUE(fields("{\"username\":\"alice\",\"privileges\":\"\"}", false, g));
  EXPECT_TRUE(fields("{\"password\":\"x\"}", false, g));
}

TEST(AuthUserParams, ReadUsername) {
  std::string name;
  auto ok = parse("{\"username\":\"bob\"}");
  EXPECT_FALSE(read_username(ok, name));
  EXPECT_EQ(name, "bob");
  auto missing = parse("{}");
  EXPECT_EQ(read_username(missing, name), "username is required");
  auto wrong = parse("{\"username\":true}");
  EXPECT_TRUE(read_username(wrong, name));
}

}  // namespace
}  // namespace backend::plugins::auth
