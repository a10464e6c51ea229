#include "plugins/logexplorer/request.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace backend::plugins::logexplorer {
namespace {

using Parts = std::vector<std::string>;

// The commands as PROTOCOL.md names them (the plugin's table,
// logexplorer_plugin.cpp, hands each its target).
Target target_of(std::string_view command) {
  static const std::map<std::string_view, Target> targets{
      {"LOGEXPLORER.LISTDIR", {Verb::kListDir, true}},        {"LOGEXPLORER.LISTFILE", {Verb::kListFile, true}},
      {"LOGEXPLORER.GET", {Verb::kGet, true}},                {"LOGEXPLORER.SERVERLISTDIR", {Verb::kListDir, false}},
      {"LOGEXPLORER.SERVERLISTFILE", {Verb::kListFile, false}}, {"LOGEXPLORER.SERVERGET", {Verb::kGet, false}},
  };
  return targets.at(command);
}

std::optional<Request> parsed(std::string_view command, const char* json, std::string& error) {
  rapidjson::Document doc;
  doc.Parse(json);
  EXPECT_FALSE(doc.HasParseError()) << json;
  return parse_request(target_of(command), doc, error);
}

std::string refusal(std::string_view command, const char* json) {
  std::string error;
  auto r = parsed(command, json, error);
  EXPECT_FALSE(r) << command << " " << json;
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(LogExplorerRequest, JobCommandsWorkInTheJobsFolder) {
  std::string error;
  auto r = parsed("LOGEXPLORER.GET",
                  R"({"jobname": "web", "dirname": "20240101", "filename": "2024010112.log"})", error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->verb, Verb::kGet);
  EXPECT_EQ(r->folder, (Parts{"jobs", "web"}));
  EXPECT_EQ(r->dirname, "20240101");
  EXPECT_EQ(r->filename, "2024010112.log");
  EXPECT_EQ(r->range.offset, 0u);
  EXPECT_FALSE(r->range.length);
}

TEST(LogExplorerRequest, ServerCommandsWorkInTheServerFolderAndIgnoreJobname) {
  std::string error;
  auto r = parsed("LOGEXPLORER.SERVERLISTFILE", R"({"jobname": "../..", "dirname": "20240101"})", error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->folder, (Parts{"server"}));
  EXPECT_EQ(r->dirname, "20240101");
  EXPECT_TRUE(parsed("LOGEXPLORER.SERVERLISTDIR", "{}", error));
}

TEST(LogExplorerRequest, JobnameIsCheckedAgain) {
  EXPECT_EQ(refusal("LOGEXPLORER.LISTDIR", "{}"), "jobname is required");
  EXPECT_NE(refusal("LOGEXPLORER.LISTDIR", R"({"jobname": "../../.."})").find("is not valid"),
            std::string::npos);
  EXPECT_EQ(refusal("LOGEXPLORER.LISTDIR", R"({"jobname": 5})"), "jobname must be a string");
}

TEST(LogExplorerRequest, MissingOrMistypedNamesAreNamed) {
  EXPECT_EQ(refusal("LOGEXPLORER.LISTFILE", R"({"jobname": "web"})"), "dirname is required");
  EXPECT_EQ(refusal("LOGEXPLORER.LISTFILE", R"({"jobname": "web", "dirname": null})"),
            "dirname is required");
  EXPECT_EQ(refusal("LOGEXPLORER.LISTFILE", R"({"jobname": "web", "dirname": 20240101})"),
            "dirname must be a string");
  EXPECT_EQ(refusal("LOGEXPLORER.SERVERGET", R"({"dirname": "20240101"})"), "filename is required");
  EXPECT_EQ(refusal("LOGEXPLORER.SERVERGET", R"({"dirname": "20240101", "filename": ["a"]})"),
            "filename must be a string");
}

TEST(LogExplorerRequest, NamesThatAreNotOneComponentAreRefused) {
  const char* bad[] = {
      R"({"dirname": "..", "filename": "config.json"})",
      R"({"dirname": "../..", "filename": "passwd"})",
      R"({"dirname": "../../../../../etc/passwd", "filename": "x"})",
      R"({"dirname": "/etc", "filename": "passwd"})",
      R"({"dirname": "/etc/passwd", "filename": "x"})",
      R"({"dirname": "../../../../etc", "filename": "passwd"})",
      R"({"dirname": ".", "filename": "x"})",
      R"({"dirname": "", "filename": "x"})",
      R"({"dirname": "20240101", "filename": "a\u0000b"})",
      R"({"dirname": "20240101", "filename": "../../x"})",
      R"({"dirname": "20240101", "filename": ""})",
  };
  for (const char* json : bad) {
    std::string error = refusal("LOGEXPLORER.SERVERGET", json);
    EXPECT_NE(error.find("is not valid"), std::string::npos) << json << ": " << error;
  }
  EXPECT_EQ(refusal("LOGEXPLORER.SERVERGET", R"({"dirname": "/etc", "filename": "passwd"})"),
            "dirname \"/etc\" is not valid: it contains \"/\"");
}

TEST(LogExplorerRequest, OffsetAndLength) {
  std::string error;
  auto r = parsed("LOGEXPLORER.SERVERGET", R"({"dirname": "d", "filename": "f", "offset": 10, "length": "20"})",
                  error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->range.offset, 10u);
  EXPECT_EQ(r->range.length, 20u);
  r = parsed("LOGEXPLORER.SERVERGET", R"({"dirname": "d", "filename": "f", "offset": null, "length": 0})",
             error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->range.offset, 0u);
  EXPECT_EQ(r->range.length, 0u);
}

TEST(LogExplorerRequest, BadOffsetOrLengthIsNamed) {
  const char* bad[] = {"-1", "\"-1\"", "1.5", "\"1.5\"", "\"abc\"", "true", "[]", "\"\"", "99999999999999999999"};
  for (const char* value : bad) {
    for (const char* key : {"offset", "length"}) {
      std::string json = std::string(R"({"dirname": "d", "filename": "f", ")") + key + "\": " + value + "}";
      std::string error = refusal("LOGEXPLORER.SERVERGET", json.c_str());
      EXPECT_EQ(error, std::string(key) + " must be a whole number of bytes, 0 or more") << json;
    }
  }
}


}  // namespace
}  // namespace backend::plugins::logexplorer
