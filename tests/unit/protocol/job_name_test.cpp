#include "protocol/job_name.h"

#include <gtest/gtest.h>

#include <string>

namespace backend::protocol {
namespace {

TEST(JobNameTest, GoodNames) {
  for (std::string_view name : {"a", "x.y@z-1_2", "A", "0", "...", "..a", "a..", ".hidden", "-", "@", "_"}) {
    EXPECT_TRUE(is_valid_job_name(name)) << name;
  }
  const std::string all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-";
  EXPECT_TRUE(is_valid_job_name(all.substr(0, 64)));
  EXPECT_TRUE(is_valid_job_name(all.substr(4, 64)));  // the tail of the set too
  EXPECT_TRUE(is_valid_job_name(std::string(kMaxJobName, 'x')));
}

TEST(JobNameTest, BadNames) {
  for (std::string_view name : {"", ".", "..", "../x", "a/b", "/", "a b", "a\tb", "a\nb", "a\\b", "a:b", "a*b",
                                "a\"b", "名字", "caf\xc3\xa9", "a+b", "a%2f"}) {
    EXPECT_FALSE(is_valid_job_name(name)) << name;
  }
  EXPECT_FALSE(is_valid_job_name(std::string(kMaxJobName + 1, 'x')));
  EXPECT_FALSE(is_valid_job_name(std::string_view("a\0b", 3)));
  EXPECT_FALSE(is_valid_job_name(std::string_view("ab\0", 3)));
}

struct Params {
  explicit Params(const std::string& json) {
    doc.Parse(json.data(), json.size());
    EXPECT_FALSE(doc.HasParseError()) << json;
  }
  rapidjson::Document doc;
};

TEST(JobNameTest, ParamReturnsTheName) {
  Params p(R"({"jobname":"x.y@z-1_2","other":1})");
  std::string error;
  auto name = job_name_param(p.doc, error);
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "x.y@z-1_2");
  EXPECT_TRUE(error.empty());
}

TEST(JobNameTest, ParamMissing) {
  for (const char* json : {"{}", R"({"jobname":null})", R"({"job":"a"})"}) {
    Params p(json);
    std::string error;
    EXPECT_FALSE(job_name_param(p.doc, error)) << json;
    EXPECT_EQ(error, "jobname is required") << json;
  }
  rapidjson::Document not_object(rapidjson::kArrayType);
  std::string error;
  EXPECT_FALSE(job_name_param(not_object, error));
  EXPECT_EQ(error, "jobname is required");
}

TEST(JobNameTest, ParamNotAString) {
  for (const char* json : {R"({"jobname":42})", R"({"jobname":true})", R"({"jobname":["a"]})",
                           R"({"jobname":{"a":1}})", R"({"jobname":1.5})"}) {
    Params p(json);
    std::string error;
    EXPECT_FALSE(job_name_param(p.doc, error)) << json;
    EXPECT_EQ(error, "jobname must be a string") << json;
  }
}

std::string error_for(const std::string& json) {
  Params p(json);
  std::string error;
  EXPECT_FALSE(job_name_param(p.doc, error)) << json;
  return error;
}

constexpr std::string_view kRule = R"( is not valid: use 1 to 64 characters of A-Z a-z 0-9 _ . @ -, not "." or "..")";

TEST(JobNameTest, ParamInvalidShowsTheNameEscaped) {
  EXPECT_EQ(error_for(R"({"jobname":"a b"})"), "jobname \"a b\"" + std::string(kRule));
  EXPECT_EQ(error_for(R"({"jobname":""})"), "jobname \"\"" + std::string(kRule));
  EXPECT_EQ(error_for(R"({"jobname":".."})"), "jobname \"..\"" + std::string(kRule));
  EXPECT_EQ(error_for(R"({"jobname":"../x"})"), "jobname \"../x\"" + std::string(kRule));
  EXPECT_EQ(error_for(R"({"jobname":"a\tb"})"), "jobname \"a\\x09b\"" + std::string(kRule));
  EXPECT_EQ(error_for(R"({"jobname":"a\u0000b"})"), "jobname \"a\\x00b\"" + std::string(kRule));
  EXPECT_EQ(error_for(R"({"jobname":"q\"b\\s"})"), "jobname \"q\\\"b\\\\s\"" + std::string(kRule));
  EXPECT_EQ(error_for("{\"jobname\":\"caf\xc3\xa9\"}"), "jobname \"caf\\xc3\\xa9\"" + std::string(kRule));
}

TEST(JobNameTest, ParamInvalidLongNameIsCut) {
  std::string error = error_for(R"({"jobname":")" + std::string(100000, 'x') + "\"}");
  EXPECT_EQ(error, "jobname \"" + std::string(80, 'x') + "...\"" + std::string(kRule));
}

TEST(JobNameTest, FirstOfDuplicatedJobnamesWins) {
  Params p(R"({"jobname":"first","jobname":"second"})");
  std::string error;
  auto name = job_name_param(p.doc, error);
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "first");
}

}  // namespace
}  // namespace backend::protocol
