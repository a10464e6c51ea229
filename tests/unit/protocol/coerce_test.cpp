#include "protocol/coerce.h"

#include <gtest/gtest.h>

#include <string>

namespace backend::protocol {
namespace {

// The value of one JSON text, kept alive for the test.
struct Json {
  explicit Json(const std::string& text) {
    doc.Parse(text.c_str());
    EXPECT_FALSE(doc.HasParseError()) << text;
  }
  rapidjson::Document doc;
};

std::optional<bool> as_bool(const std::string& json) { return coerce_bool(Json(json).doc); }
std::optional<int64_t> as_int(const std::string& json) { return coerce_int(Json(json).doc); }

TEST(CoerceTest, BoolAccepted) {
  EXPECT_EQ(as_bool("true"), true);
  EXPECT_EQ(as_bool("false"), false);
  EXPECT_EQ(as_bool("1"), true);
  EXPECT_EQ(as_bool("0"), false);
  EXPECT_EQ(as_bool("\"1\""), true);
  EXPECT_EQ(as_bool("\"0\""), false);
  EXPECT_EQ(as_bool("\"true\""), true);
  EXPECT_EQ(as_bool("\"false\""), false);
  EXPECT_EQ(as_bool("\"\""), false);
}

TEST(CoerceTest, BoolRefused) {
  for (const char* json : {"2", "-1", "1.0", "0.0", "null", "[]", "{}", "[true]", "\"yes\"", "\"no\"", "\"on\"",
                           "\"TRUE\"", "\"False\"", "\" 1\"", "\"1 \"", "\"01\"", "\"2\"", "\"-1\"",
                           "18446744073709551615"}) {
    EXPECT_FALSE(as_bool(json).has_value()) << json;
  }
}

TEST(CoerceTest, IntAccepted) {
  EXPECT_EQ(as_int("30"), 30);
  EXPECT_EQ(as_int("0"), 0);
  EXPECT_EQ(as_int("-5"), -5);
  EXPECT_EQ(as_int("\"30\""), 30);
  EXPECT_EQ(as_int("\"0\""), 0);
  EXPECT_EQ(as_int("\"007\""), 7);
  EXPECT_EQ(as_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(as_int("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(as_int("\"9223372036854775807\""), INT64_MAX);
  EXPECT_EQ(as_int("4294967296"), 4294967296);
}

TEST(CoerceTest, IntRefused) {
  for (const char* json : {"30.0", "30.5", "1e3", "-0.0", "true", "false", "null", "[]", "{}", "[30]", "\"\"",
                           "\"-5\"", "\"+5\"", "\" 5\"", "\"5 \"", "\"5a\"", "\"3.0\"", "\"1e3\"", "\"0x10\"",
                           "\"lots\"", "9223372036854775808", "18446744073709551615", "\"9223372036854775808\"",
                           "\"99999999999999999999999\""}) {
    EXPECT_FALSE(as_int(json).has_value()) << json;
  }
}

TEST(CoerceTest, IntStringWithEmbeddedNulRefused) {
  rapidjson::Document doc;
  doc.SetString("1\0" "2", 3, doc.GetAllocator());
  EXPECT_FALSE(coerce_int(doc).has_value());
}

}  // namespace
}  // namespace backend::protocol
