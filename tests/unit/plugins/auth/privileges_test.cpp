#include "plugins/auth/privileges.h"

#include <gtest/gtest.h>

namespace backend::plugins::auth {
namespace {

struct Case {
  const char* text;
  bool valid;
  const char* normalised;
};

TEST(AuthPrivileges, ParsesTheTable) {
  const Case cases[] = {
      {"*", true, "*"},
      {" * ", true, "*"},
      {"START,STOP", true, "START,STOP"},
      {" START , STOP ", true, "START,STOP"},
      {"AUTH.ADD", true, "AUTH.ADD"},
      {"START,START", true, "START"},
      {"", false, nullptr},
      {"  ", false, nullptr},
      {"BAD NAME", false, nullptr},
      {"start", false, nullptr},
      {"START,,STOP", false, nullptr},
      {"START,", false, nullptr},
      {"*,START", false, nullptr},
      {"AUTH..ADD", false, nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string error;
    auto p = parse_privileges(c.text, error);
    EXPECT_EQ(p.has_value(), c.valid);
    if (p) {
      EXPECT_EQ(format_privileges(*p), c.normalised);
      EXPECT_TRUE(error.empty());
    } else {
      EXPECT_NE(error.find("privileges"), std::string::npos) << error;
    }
  }
}

TEST(AuthPrivileges, ErrorNamesTheBadEntry) {
  std::string error;
  EXPECT_FALSE(parse_privileges("START, BAD NAME", error));
  EXPECT_NE(error.find("\"BAD NAME\""), std::string::npos) << error;
}

TEST(AuthPrivileges, AllowsOnlyListedCommands) {
  std::string error;
  auto star = parse_privileges("*", error);
  auto some = parse_privileges(" START , STOP ", error);
  auto auth = parse_privileges("AUTH.ADD", error);
  ASSERT_TRUE(star && some && auth);
  EXPECT_TRUE(allows(*star, "STATUSALL"));
  EXPECT_TRUE(allows(*star, "AUTH.DELETE"));
  EXPECT_TRUE(allows(*some, "START"));
  EXPECT_TRUE(allows(*some, "STOP"));
  EXPECT_FALSE(allows(*some, "RESTART"));
  EXPECT_FALSE(allows(*some, "start"));
  EXPECT_FALSE(allows(*some, "STAR"));
  EXPECT_TRUE(allows(*auth, "AUTH.ADD"));
  EXPECT_FALSE(allows(*auth, "AUTH.DELETE"));
  EXPECT_FALSE(allows(*auth, "ADD"));
}

}  // namespace
}  // namespace backend::plugins::auth
