#include "plugins/logexplorer/answer.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/unit/plugins/logexplorer/temp_logs.h"

namespace backend::plugins::logexplorer {
namespace {

// Invalid UTF-8: bytes that start nothing, a lead byte without its
// continuation, an encoded surrogate; and a NUL.
constexpr char kBinary[] = "ok \xff\xfe bad \xC3\x28 \xED\xA0\x80 end\0!";
constexpr char kBinaryRead[] = "ok \uFFFD\uFFFD bad \uFFFD( \uFFFD\uFFFD\uFFFD end\0!";

template <size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

class LogExplorerAnswer : public ::testing::Test {
 protected:
  void SetUp() override {
    logs_.file("jobs/web/20240101/2024010112.log", "line 1\nline 2\n");
    logs_.file("jobs/web/20240101/2024010112.error.log", "oops\n");
    logs_.file("jobs/web/20240102/2024010200.log", "next day\n");
    logs_.file("jobs/bin/20240101/2024010100.log", bytes(kBinary));
    logs_.file("server/20240101/2024010100.log", "server up\n");
  }

  Reply run(Verb verb, std::vector<std::string> folder, std::string dirname = {}, std::string filename = {},
            ReadRange range = {}, uint64_t max_bytes = kDefaultMaxBytes) {
    Request r;
    r.verb = verb;
    r.folder = std::move(folder);
    r.dirname = std::move(dirname);
    r.filename = std::move(filename);
    r.range = range;
    return answer(r, logs_.log_dir(), max_bytes);
  }

  TempLogs logs_;
};

// The whole reply as a client parses it, strictly (valid UTF-8 required).
rapidjson::Document client_view(const Reply& reply) {
  rapidjson::Document doc;
  std::string json = protocol::reply_json(reply.code, reply.data, reply.error);
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

TEST_F(LogExplorerAnswer, ListDirNewestFirst) {
  Reply r = run(Verb::kListDir, {"jobs", "web"});
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"(["20240102","20240101"])");
  EXPECT_EQ(run(Verb::kListDir, {"server"}).data, R"(["20240101"])");
}

TEST_F(LogExplorerAnswer, AJobWithoutLogsListsEmpty) {
  Reply r = run(Verb::kListDir, {"jobs", "never-logged"});
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, "[]");
  EXPECT_EQ(r.error, "");
}

TEST_F(LogExplorerAnswer, NoLogFolderAtAllListsEmpty) {
  std::filesystem::remove_all(logs_.at(""));
  EXPECT_EQ(run(Verb::kListDir, {"server"}).data, "[]");
  EXPECT_EQ(run(Verb::kListDir, {"jobs", "web"}).data, "[]");
}

TEST_F(LogExplorerAnswer, ListFile) {
  Reply r = run(Verb::kListFile, {"jobs", "web"}, "20240101");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"(["2024010112.log","2024010112.error.log"])");
}

TEST_F(LogExplorerAnswer, AMissingDayFolderIsFailed) {
  Reply r = run(Verb::kListFile, {"jobs", "web"}, "20230101");
  EXPECT_EQ(r.code, Code::kFailed);
  EXPECT_EQ(r.data, "");
  EXPECT_EQ(r.error, "log path \"jobs/web/20230101\" does not exist");
}

TEST_F(LogExplorerAnswer, GetContent) {
  Reply r = run(Verb::kGet, {"jobs", "web"}, "20240101", "2024010112.log");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"("line 1\nline 2\n")");
  EXPECT_EQ(r.error, "");
}

TEST_F(LogExplorerAnswer, GetMissingFileIsFailed) {
  Reply r = run(Verb::kGet, {"jobs", "web"}, "20240101", "2024010113.log");
  EXPECT_EQ(r.code, Code::kFailed);
  EXPECT_NE(r.error.find("does not exist"), std::string::npos) << r.error;
}

TEST_F(LogExplorerAnswer, GetCutKeepsOkAndWarns) {
  Reply r = run(Verb::kGet, {"jobs", "web"}, "20240101", "2024010112.log", {2, std::nullopt}, 5);
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.data, R"("ne 1\n")");
  EXPECT_NE(r.error.find("continue from offset 7"), std::string::npos) << r.error;
  rapidjson::Document doc = client_view(r);
  EXPECT_STREQ(doc["code"].GetString(), "OK");
  EXPECT_TRUE(doc.HasMember("error"));
}

TEST_F(LogExplorerAnswer, InvalidUtf8StillGivesValidJson) {
  Reply r = run(Verb::kGet, {"jobs", "bin"}, "20240101", "2024010100.log");
  ASSERT_EQ(r.code, Code::kOk) << r.error;
  rapidjson::Document doc = client_view(r);
  ASSERT_TRUE(doc.IsObject() && doc["data"].IsString());
  std::string data(doc["data"].GetString(), doc["data"].GetStringLength());
  // Each byte that starts no valid sequence becomes U+FFFD; the rest stays,
  // the NUL byte included.
  EXPECT_EQ(data, bytes(kBinaryRead));
}

TEST_F(LogExplorerAnswer, EntryNamesWithInvalidUtf8StillGiveValidJson) {
  logs_.folder("server/2024\xff");
  Reply r = run(Verb::kListDir, {"server"});
  ASSERT_EQ(r.code, Code::kOk) << r.error;
  rapidjson::Document doc = client_view(r);
  EXPECT_EQ(doc["data"].Size(), 2u);
}

}  // namespace
}  // namespace backend::plugins::logexplorer
