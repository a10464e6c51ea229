#include "plugins/logexplorer/settings.h"

#include <string>

#include <gtest/gtest.h>

namespace backend::plugins::logexplorer {
namespace {

std::optional<Settings> parsed(const char* json, std::string& error) {
  rapidjson::Document doc;
  doc.Parse(json);
  EXPECT_FALSE(doc.HasParseError()) << json;
  return parse_settings(doc, error);
}

TEST(LogExplorerSettings, EmptyBlockIsTheDefault) {
  std::string error;
  auto s = parsed("{}", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->max_bytes, 8388608u);
}

TEST(LogExplorerSettings, MaxBytesAsIntegerOrDigits) {
  std::string error;
  EXPECT_EQ(parsed(R"({"max_bytes": 1})", error)->max_bytes, 1u);
  EXPECT_EQ(parsed(R"({"max_bytes": "4096"})", error)->max_bytes, 4096u);
  EXPECT_EQ(parsed(R"({"max_bytes": 1073741824})", error)->max_bytes, 1073741824u);
}

TEST(LogExplorerSettings, BadMaxBytesIsNamed) {
  for (const char* json : {R"({"max_bytes": 0})", R"({"max_bytes": -1})", R"({"max_bytes": 1073741825})",
                           R"({"max_bytes": 1.5})", R"({"max_bytes": true})", R"({"max_bytes": "1k"})",
                           R"({"max_bytes": null})"}) {
    std::string error;
    EXPECT_FALSE(parsed(json, error)) << json;
    EXPECT_NE(error.find("max_bytes"), std::string::npos) << json << ": " << error;
  }
}

TEST(LogExplorerSettings, UnknownKeyIsNamed) {
  std::string error;
  EXPECT_FALSE(parsed(R"({"max_bytes": 10, "maxbytes": 10})", error));
  EXPECT_NE(error.find("unknown setting \"maxbytes\""), std::string::npos) << error;
}

TEST(LogExplorerSettings, NotAnObject) {
  std::string error;
  EXPECT_FALSE(parsed("[]", error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace backend::plugins::logexplorer
