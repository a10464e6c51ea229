#include "protocol/request.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/response.h"

namespace backend::protocol {
namespace {

TEST(RequestTest, BareCommandHasEmptyObjectParams) {
  Request r;
  EXPECT_FALSE(parse_request("STATUSALL", r));
  EXPECT_EQ(r.command, "STATUSALL");
  ASSERT_TRUE(r.params.IsObject());
  EXPECT_EQ(r.params.MemberCount(), 0u);
}

TEST(RequestTest, NothingAfterTheSpaceIsEmptyParams) {
  Request r;
  EXPECT_FALSE(parse_request("GETALL ", r));
  EXPECT_EQ(r.command, "GETALL");
  ASSERT_TRUE(r.params.IsObject());
  EXPECT_EQ(r.params.MemberCount(), 0u);
}

TEST(RequestTest, CommandWithParams) {
  Request r;
  ASSERT_FALSE(parse_request(R"(ADD {"jobname":"a","command":"/bin/true","writelog":"1"})", r));
  EXPECT_EQ(r.command, "ADD");
  ASSERT_TRUE(r.params.IsObject());
  EXPECT_STREQ(r.params["jobname"].GetString(), "a");
  EXPECT_STREQ(r.params["writelog"].GetString(), "1");
}

TEST(RequestTest, SplitsAtTheFirstSpaceOnly) {
  Request r;
  ASSERT_FALSE(parse_request(R"(GET {"jobname": "a b"})", r));
  EXPECT_EQ(r.command, "GET");
  EXPECT_STREQ(r.params["jobname"].GetString(), "a b");
}

TEST(RequestTest, PayloadIsTrimmedAsTheOriginalDid) {
  Request r;
  ASSERT_FALSE(parse_request("STATUSALL\n", r));
  EXPECT_EQ(r.command, "STATUSALL");
  ASSERT_FALSE(parse_request(std::string_view(" GET {\"jobname\":\"a\"}\r\n\0", 23), r));
  EXPECT_EQ(r.command, "GET");
  EXPECT_STREQ(r.params["jobname"].GetString(), "a");
}

TEST(RequestTest, EmptyPayloadIsAnEmptyCommand) {
  Request r;
  EXPECT_FALSE(parse_request("", r));
  EXPECT_EQ(r.command, "");
  EXPECT_FALSE(is_command_name(r.command));
  EXPECT_TRUE(r.params.IsObject());
}

TEST(RequestTest, MalformedCommandIsLeftAsSentForUnknown) {
  Request r;
  EXPECT_FALSE(parse_request(R"(status {"jobname":"a"})", r));
  EXPECT_EQ(r.command, "status");
  EXPECT_FALSE(is_command_name(r.command));
  EXPECT_TRUE(r.params.HasMember("jobname"));
}

TEST(RequestTest, BadParamsFail) {
  for (std::string_view payload : {
           "GET {not json",
           "GET [\"a\", \"b\"]",
           "GET []",
           "GET \"jobname\"",
           "GET 42",
           "GET null",
           "GET true",
           "GET {\"jobname\":\"a\"} trailing",
           "GET {\"jobname\":\"a\"}{}",
           "GET {\"jobname\":\"a\",}",
           "GET {'jobname':'a'}",
           "GET {\"jobname\":\"a\"} // comment",
           "GET {\"a\":NaN}",
       }) {
    Request r;
    auto err = parse_request(payload, r);
    ASSERT_TRUE(err.has_value()) << payload;
    EXPECT_EQ(*err, kParamsDecodeFailed) << payload;
    EXPECT_EQ(r.command, "GET");
    EXPECT_TRUE(r.params.IsObject()) << payload;
    EXPECT_EQ(r.params.MemberCount(), 0u) << payload;
  }
}

TEST(RequestTest, InvalidUtf8InParamsFails) {
  Request r;
  auto err = parse_request("GET {\"jobname\":\"a\xff\"}", r);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, kParamsDecodeFailed);
}

TEST(RequestTest, NulAfterTheObjectFails) {
  // RapidJSON alone would stop at the NUL and accept the object.
  Request r;
  std::string payload("GET {\"jobname\":\"a\"}\0{junk", 25);
  auto err = parse_request(payload, r);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, kParamsDecodeFailed);
}

TEST(RequestTest, EscapedNulInsideAStringIsFine) {
  Request r;
  ASSERT_FALSE(parse_request(R"(GET {"x":"a\u0000b"})", r));
  EXPECT_EQ(r.params["x"].GetStringLength(), 3u);
}

TEST(RequestTest, MillionDeepNestingFailsWithoutCrashing) {
  std::string payload = "GET " + std::string(1000000, '[');
  Request r;
  auto err = parse_request(payload, r);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, kParamsDecodeFailed);

  // Balanced, inside an object: would parse, then blow the stack of any
  // recursive walk (to_json, CopyFrom) if it were let through.
  std::string deep = "GET {\"a\":" + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  err = parse_request(deep, r);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, kParamsDecodeFailed);
}

TEST(RequestTest, NestingUpTo512LevelsIsAccepted) {
  auto nested = [](int levels) {
    // levels counts the outer object too.
    return "GET {\"a\":" + std::string(levels - 1, '[') + std::string(levels - 1, ']') + "}";
  };
  Request r;
  EXPECT_FALSE(parse_request(nested(512), r));
  EXPECT_EQ(to_json(r.params).size(), 2 * 511 + 6u);
  EXPECT_TRUE(parse_request(nested(513), r));
}

TEST(RequestTest, BracketsInsideStringsDoNotCountAsNesting) {
  Request r;
  std::string payload = "GET {\"s\":\"" + std::string(10000, '[') + "\\\"" + std::string(10000, '{') + "\"}";
  ASSERT_FALSE(parse_request(payload, r));
  EXPECT_EQ(r.params["s"].GetStringLength(), 20001u);
}

TEST(RequestTest, ReparseReplacesOldParams) {
  Request r;
  ASSERT_FALSE(parse_request(R"(GET {"jobname":"a"})", r));
  ASSERT_FALSE(parse_request("STATUSALL", r));
  EXPECT_EQ(r.command, "STATUSALL");
  EXPECT_EQ(r.params.MemberCount(), 0u);
  ASSERT_FALSE(parse_request(R"(GET {"jobname":"b"})", r));
  EXPECT_STREQ(r.params["jobname"].GetString(), "b");
  ASSERT_TRUE(parse_request("GET {oops", r));
  EXPECT_EQ(r.params.MemberCount(), 0u);
}

TEST(RequestTest, ParamsOwnTheirStrings) {
  Request r;
  {
    std::string payload = R"(GET {"jobname":"owned-name-longer-than-short-string"})";
    ASSERT_FALSE(parse_request(payload, r));
    payload.assign(payload.size(), 'X');
  }
  EXPECT_STREQ(r.params["jobname"].GetString(), "owned-name-longer-than-short-string");
}

TEST(RequestTest, CommandNames) {
  for (std::string_view ok : {"ADD", "STATUSALL", "AUTH.ADD", "LOGEXPLORER.SERVERLISTFILE", "A", "X_1", "A.B"}) {
    EXPECT_TRUE(is_command_name(ok)) << ok;
  }
  for (std::string_view bad : {"", "add", "Add", "AUTH.", ".ADD", "A.B.C", "A..B", "ADD ", "A-B", "1ADD", "_ADD",
                               "ÄDD"}) {
    EXPECT_FALSE(is_command_name(bad)) << bad;
  }
  EXPECT_FALSE(is_command_name(std::string_view("AD\0D", 4)));
  EXPECT_TRUE(is_command_name(std::string(64, 'A')));
  EXPECT_FALSE(is_command_name(std::string(65, 'A')));
}

TEST(RequestTest, TakeAuthRemovesAndReturnsIt) {
  Request r;
  ASSERT_FALSE(parse_request(R"(ADD {"jobname":"a","auth":{"username":"u","password":"p"},"command":"/x"})", r));
  rapidjson::Value auth = take_auth(r.params);
  ASSERT_TRUE(auth.IsObject());
  EXPECT_STREQ(auth["username"].GetString(), "u");
  EXPECT_STREQ(auth["password"].GetString(), "p");
  EXPECT_FALSE(r.params.HasMember("auth"));
  EXPECT_EQ(to_json(r.params), R"({"jobname":"a","command":"/x"})");  // order kept
}

TEST(RequestTest, TakeAuthAbsentIsNull) {
  Request r;
  ASSERT_FALSE(parse_request(R"(GET {"jobname":"a"})", r));
  EXPECT_TRUE(take_auth(r.params).IsNull());
  EXPECT_EQ(r.params.MemberCount(), 1u);
  rapidjson::Document not_object;
  EXPECT_TRUE(take_auth(not_object).IsNull());
}

TEST(RequestTest, TakeAuthRemovesEveryDuplicate) {
  Request r;
  ASSERT_FALSE(parse_request(R"(GET {"auth":"first","x":1,"auth":"second","auth":3})", r));
  rapidjson::Value auth = take_auth(r.params);
  ASSERT_TRUE(auth.IsString());
  EXPECT_STREQ(auth.GetString(), "first");
  EXPECT_EQ(to_json(r.params), R"({"x":1})");
}

}  // namespace
}  // namespace backend::protocol
