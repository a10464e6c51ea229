#include "protocol/response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace backend::protocol {
namespace {

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Parses strictly (valid UTF-8 required), as a picky client would.
bool parses(const std::string& json, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  return !doc.HasParseError();
}

// What a client reads back from append_json_string(s).
std::string round_trip(std::string_view s) {
  rapidjson::Document doc;
  std::string json = json_string(s);
  EXPECT_TRUE(parses(json, doc)) << json;
  if (!doc.IsString()) return "<not a string>";
  return std::string(doc.GetString(), doc.GetStringLength());
}

TEST(ResponseTest, CodeNames) {
  EXPECT_EQ(code_name(Code::kOk), "OK");
  EXPECT_EQ(code_name(Code::kFailed), "FAILED");
  EXPECT_EQ(code_name(Code::kDenied), "DENIED");
  EXPECT_EQ(code_name(Code::kUnknown), "UNKNOWN");
}

TEST(ResponseTest, FramedOkReplyBytes) {
  std::string out;
  append_reply(out, Code::kOk);
  EXPECT_EQ(out, std::string("\x0d\x00\x00\x00{\"code\":\"OK\"}", 17));
}

TEST(ResponseTest, FramedFailedReplyBytes) {
  std::string out;
  append_reply(out, Code::kFailed, {}, "job \"x\" does not exist");
  std::string json = "{\"code\":\"FAILED\",\"error\":\"job \\\"x\\\" does not exist\"}";
  ASSERT_EQ(json.size(), 0x34u);
  EXPECT_EQ(out, std::string("\x34\x00\x00\x00", 4) + json);
}

TEST(ResponseTest, FramedDataReplyBytes) {
  std::string out;
  append_reply(out, Code::kOk, "\"UP\"");
  EXPECT_EQ(out, std::string("\x19\x00\x00\x00{\"code\":\"OK\",\"data\":\"UP\"}", 29));
}

TEST(ResponseTest, RepliesAppendAfterExistingBytes) {
  std::string out = "xx";
  append_reply(out, Code::kDenied);
  append_reply(out, Code::kUnknown);
  EXPECT_EQ(out, std::string("xx\x11\x00\x00\x00{\"code\":\"DENIED\"}\x12\x00\x00\x00{\"code\":\"UNKNOWN\"}", 45));
}

TEST(ResponseTest, LengthAbove255UsesAllHeaderBytes) {
  std::string data = "\"" + std::string(70000, 'a') + "\"";
  std::string out;
  append_reply(out, Code::kOk, data);
  size_t len = out.size() - 4;
  EXPECT_EQ(static_cast<unsigned char>(out[0]), len & 0xff);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), (len >> 8) & 0xff);
  EXPECT_EQ(static_cast<unsigned char>(out[2]), (len >> 16) & 0xff);
  EXPECT_EQ(out[3], 0);
}

TEST(ResponseTest, KeyOrderIsCodeDataError) {
  EXPECT_EQ(reply_json(Code::kOk, "{\"a\":1}", "log cut at 8 MiB"),
            "{\"code\":\"OK\",\"data\":{\"a\":1},\"error\":\"log cut at 8 MiB\"}");
  EXPECT_EQ(reply_json(Code::kFailed, {}, "params decode failed"),
            "{\"code\":\"FAILED\",\"error\":\"params decode failed\"}");
  EXPECT_EQ(reply_json(Code::kOk, "[]"), "{\"code\":\"OK\",\"data\":[]}");
  EXPECT_EQ(reply_json(Code::kUnknown), "{\"code\":\"UNKNOWN\"}");
}

TEST(ResponseTest, EscapesQuoteBackslashAndControls) {
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(json_string(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(json_string(""), "\"\"");
}

TEST(ResponseTest, SlashAndDelAreNotEscaped) {
  EXPECT_EQ(json_string("/usr/bin/php"), "\"/usr/bin/php\"");
  EXPECT_EQ(json_string("\x7f"), "\"\x7f\"");
}

TEST(ResponseTest, EveryByteRoundTripsThroughAParser) {
  for (int c = 0; c < 0x80; ++c) {
    std::string s(1, static_cast<char>(c));
    EXPECT_EQ(round_trip(s), s) << "byte " << c;
  }
}

TEST(ResponseTest, ValidUtf8PassesThrough) {
  const std::string s = "进程 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
  EXPECT_EQ(json_string(s), "\"" + s + "\"");
  EXPECT_EQ(round_trip(s), s);
}

TEST(ResponseTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(json_string("a\xff" "b"), "\"a\\ufffdb\"");
  EXPECT_EQ(json_string("\xc3"), "\"\\ufffd\"");             // truncated sequence at the end
  EXPECT_EQ(json_string("\xc3(x"), "\"\\ufffd(x\"");          // bad continuation
  EXPECT_EQ(json_string("\xc0\xaf"), "\"\\ufffd\\ufffd\"");   // overlong '/'
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
  EXPECT_EQ(json_string("\xe0\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // overlong 3-byte
  EXPECT_EQ(json_string("\xf0\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // overlong 4-byte
}

TEST(ResponseTest, ArbitraryBytesAlwaysMakeValidJson) {
  // Every two-byte combination, and a pseudo-random soup with a NUL in it.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 7) {
      const char s[] = {static_cast<char>(a), static_cast<char>(b), 'z'};
      std::string out = reply_json(Code::kFailed, {}, std::string_view(s, 3));
      rapidjson::Document doc;
      ASSERT_TRUE(parses(out, doc)) << a << " " << b;
    }
  }
  std::string soup;
  uint32_t x = 12345;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1103515245 + 12345;
    soup += static_cast<char>(x >> 24);
  }
  rapidjson::Document doc;
  EXPECT_TRUE(parses(reply_json(Code::kFailed, {}, soup), doc));
}

TEST(ResponseTest, ToJsonIsCompact) {
  rapidjson::Document doc;
  doc.Parse(R"({ "a" : [1, -2, 3.5, true, false, null], "b": {"c": "d/e"}, "u": 18446744073709551615 })");
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(to_json(doc), R"({"a":[1,-2,3.5,true,false,null],"b":{"c":"d/e"},"u":18446744073709551615})");
}

TEST(ResponseTest, ToJsonScalarsAndEmpties) {
  EXPECT_EQ(to_json(rapidjson::Value("UP")), "\"UP\"");
  EXPECT_EQ(to_json(rapidjson::Value(9464)), "9464");
  EXPECT_EQ(to_json(rapidjson::Value(int64_t{-5000000000})), "-5000000000");
  EXPECT_EQ(to_json(rapidjson::Value(rapidjson::kObjectType)), "{}");
  EXPECT_EQ(to_json(rapidjson::Value(rapidjson::kArrayType)), "[]");
  EXPECT_EQ(to_json(rapidjson::Value()), "null");
  EXPECT_EQ(to_json(rapidjson::Value(30.0)), "30.0");
}

TEST(ResponseTest, ToJsonNonFiniteBecomesNull) {
  rapidjson::Document doc(rapidjson::kArrayType);
  doc.PushBack(std::numeric_limits<double>::quiet_NaN(), doc.GetAllocator());
  doc.PushBack(std::numeric_limits<double>::infinity(), doc.GetAllocator());
  EXPECT_EQ(to_json(doc), "[null,null]");
}

TEST(ResponseTest, ToJsonEscapesKeysAndStringsSafely) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember(rapidjson::Value("k\"\n", a), rapidjson::Value("line1\nline2\t\x01", a), a);
  doc.AddMember(rapidjson::Value("bad\xff", a), rapidjson::Value("\xfe out", a), a);
  doc.AddMember(rapidjson::Value(std::string("nul\0in", 6), a), rapidjson::Value(std::string("x\0y", 3), a), a);
  std::string json = to_json(doc);
  EXPECT_EQ(json,
            "{\"k\\\"\\n\":\"line1\\nline2\\t\\u0001\","
            "\"bad\\ufffd\":\"\\ufffd out\","
            "\"nul\\u0000in\":\"x\\u0000y\"}");
  rapidjson::Document back;
  ASSERT_TRUE(parses(json, back));
  EXPECT_EQ(std::string(back["k\"\n"].GetString()), "line1\nline2\t\x01");
}

TEST(ResponseTest, ToJsonNestedSeparators) {
  rapidjson::Document doc;
  doc.Parse(R"([{"a":{},"b":[[],{}]},"s",{"x":["y",{"z":"w"}]}])");
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(to_json(doc), R"([{"a":{},"b":[[],{}]},"s",{"x":["y",{"z":"w"}]}])");
}

TEST(ResponseTest, ParseReplyReadsWhatReplyJsonWrites) {
  Code code = Code::kOk;
  std::string error;
  ASSERT_TRUE(parse_reply(reply_json(Code::kFailed, "[1]", "no \"room\""), code, error));
  EXPECT_EQ(code, Code::kFailed);
  EXPECT_EQ(error, "no \"room\"");
  ASSERT_TRUE(parse_reply(reply_json(Code::kOk), code, error));
  EXPECT_EQ(code, Code::kOk);
  EXPECT_EQ(error, "");
  for (std::string_view bad : {"", "[]", "{}", R"({"code":"MAYBE"})", R"({"code":1})", "{\"code\":"})
    EXPECT_FALSE(parse_reply(bad, code, error)) << bad;
}

TEST(ResponseTest, ReplyCodeReadsTheCodeOfEveryReplyWritten) {
  for (Code c : {Code::kOk, Code::kFailed, Code::kDenied, Code::kUnknown})
    EXPECT_EQ(reply_code(reply_json(c, "{\"code\":\"OK\"}", "e")), c);
  for (std::string_view bad : {"", "{}", R"({"code":"OKAY"})", R"({"code":"OK)", R"({ "code":"OK"})"})
    EXPECT_FALSE(reply_code(bad)) << bad;
}

}  // namespace
}  // namespace backend::protocol
