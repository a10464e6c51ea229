#include "plugins/scheduler/change_params.h"

#include <gtest/gtest.h>

namespace backend::plugins::scheduler {
namespace {

std::optional<ScheduleChange> read(const char* json, bool required, std::string& error) {
  rapidjson::Document doc;
  doc.Parse(json);
  return read_change(doc, required, error);
}

TEST(SchedulerChangeParams, EnableIsAPhpStyleBoolean) {
  std::string error;
  for (const char* yes : {R"({"enable": true})", R"({"enable": 1})", R"({"enable": "1"})", R"({"enable": "true"})"}) {
    auto c = read(yes, false, error);
    ASSERT_TRUE(c) << yes << ": " << error;
    EXPECT_EQ(c->enable, true) << yes;
  }
  for (const char* no : {R"({"enable": false})", R"({"enable": 0})", R"({"enable": "0"})", R"({"enable": ""})"}) {
    auto c = read(no, false, error);
    ASSERT_TRUE(c) << no << ": " << error;
    EXPECT_EQ(c->enable, false) << no;
  }
  for (const char* bad : {R"({"enable": {"on": true}})", R"({"enable": 2})", R"({"enable": "yes"})",
                          R"({"enable": null})", R"({"enable": []})"}) {
    EXPECT_FALSE(read(bad, false, error)) << bad;
    EXPECT_EQ(error.rfind("enable must be a boolean", 0), 0u) << error;
  }
}

TEST(SchedulerChangeParams, AddNeedsBothUpdateEither) {
  std::string error;
  EXPECT_FALSE(read(R"({"condition": {"U": 60}})", true, error));
  EXPECT_EQ(error, "enable is required");
  EXPECT_FALSE(read(R"({"enable": true})", true, error));
  EXPECT_EQ(error, "condition is required");
  auto both = read(R"({"enable": "1", "condition": {"U": "300"}, "extra": 1})", true, error);
  ASSERT_TRUE(both) << error;
  EXPECT_EQ(both->condition->U, 300);
  EXPECT_EQ(both->condition_json, R"({"U":"300"})");
  auto none = read("{}", false, error);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->enable);
  EXPECT_FALSE(none->condition);
  EXPECT_FALSE(read(R"({"condition": {"H": "24"}})", false, error));
  EXPECT_NE(error.find(R"(condition field "H")"), std::string::npos);
}

TEST(SchedulerChangeParams, Uuid) {
  std::string error;
  rapidjson::Document doc;
  doc.Parse(R"({"uuid": "abc"})");
  EXPECT_EQ(read_uuid(doc, error), "abc");
  doc.Parse(R"({"uuid": 5})");
  EXPECT_FALSE(read_uuid(doc, error));
  EXPECT_EQ(error, "uuid must be a string");
  doc.Parse("{}");
  EXPECT_FALSE(read_uuid(doc, error));
  EXPECT_EQ(error, "uuid is required");
}

}  // namespace
}  // namespace backend::plugins::scheduler
