#include <gtest/gtest.h>

#include "backend/client.h"

namespace backend::client {
namespace {

TEST(Result, EveryReplyCodeIsRecognised) {
  EXPECT_EQ(Result::from_reply(R"({"code":"OK"})").code(), Code::kOk);
  EXPECT_EQ(Result::from_reply(R"({"code":"FAILED","error":"no"})").code(), Code::kFailed);
  EXPECT_EQ(Result::from_reply(R"({"code":"DENIED"})").code(), Code::kDenied);
  EXPECT_EQ(Result::from_reply(R"({"code":"UNKNOWN"})").code(), Code::kUnknown);
  EXPECT_STREQ(code_name(Code::kTransport), "TRANSPORT");
}

TEST(Result, DataErrorAndRawComeFromTheReply) {
  auto r = Result::from_reply(R"({"code":"FAILED","error":"job \"x\" does not exist"})");
  EXPECT_FALSE(r.ok());
  EXPECT_STREQ(r.code_text(), "FAILED");
  EXPECT_EQ(r.error(), "job \"x\" does not exist");
  EXPECT_FALSE(r.has_data());
  EXPECT_TRUE(r.data().IsNull());

  auto d = Result::from_reply(R"({"code":"OK","data":{"x":"UP"}})");
  ASSERT_TRUE(d.has_data());
  EXPECT_STREQ(d.data()["x"].GetString(), "UP");
  EXPECT_EQ(d.raw(), R"({"code":"OK","data":{"x":"UP"}})");
  Result copy = d;  // copies share the parsed reply
  EXPECT_STREQ(copy.data()["x"].GetString(), "UP");
}

TEST(Result, RepliesThatAreNoReplyAreTransportErrors) {
  for (const char* bad : {"", "not json", "[]", R"({"data":1})", R"({"code":5})", R"({"code":"MAYBE"})"}) {
    auto r = Result::from_reply(bad);
    EXPECT_EQ(r.code(), Code::kTransport) << bad;
    EXPECT_FALSE(r.error().empty()) << bad;
  }
}

}  // namespace
}  // namespace backend::client
