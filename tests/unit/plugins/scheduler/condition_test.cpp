#include "plugins/scheduler/condition.h"

#include <gtest/gtest.h>

namespace backend::plugins::scheduler {
namespace {

std::optional<Condition> parse(const char* json, std::string& error) {
  rapidjson::Document doc;
  doc.Parse(json);
  EXPECT_FALSE(doc.HasParseError()) << json;
  return parse_condition(doc, error);
}

Condition valid(const char* json) {
  std::string error;
  auto c = parse(json, error);
  EXPECT_TRUE(c) << json << ": " << error;
  return c ? *c : Condition{};
}

std::string invalid(const char* json) {
  std::string error;
  EXPECT_FALSE(parse(json, error)) << json;
  EXPECT_FALSE(error.empty()) << json;
  return error;
}

TEST(SchedulerCondition, ConformanceCases) {
  for (const char* bad : {R"({"U": 61})", R"({"H": "24"})", R"({"d": "32"})", R"({"m": "1"})", R"({"N": "8"})",
                          R"({"d": "01", "N": "1"})", R"({"Q": "1"})", "{}", R"({"i": "30", "U": 120})"}) {
    invalid(bad);
  }
  Condition a = valid(R"({"H": "03", "i": "15"})");
  EXPECT_EQ(a.H, 3);
  EXPECT_EQ(a.i, 15);
  EXPECT_FALSE(a.U);
  EXPECT_EQ(valid(R"({"U": "300"})").U, 300);
  Condition t = valid(R"({"d": "@t", "H": "23", "i": "59"})");
  EXPECT_EQ(t.d, kLastDay);
  EXPECT_EQ(t.H, 23);
}

struct Case {
  const char* json;
  bool ok;
};

class SchedulerConditionTable : public testing::TestWithParam<Case> {};

TEST_P(SchedulerConditionTable, AcceptsOrRefuses) {
  std::string error;
  auto c = parse(GetParam().json, error);
  EXPECT_EQ(c.has_value(), GetParam().ok) << GetParam().json << ": " << error;
}

INSTANTIATE_TEST_SUITE_P(Fields, SchedulerConditionTable, testing::Values(
    // Y: 2013..2099, integer or digit string
    Case{R"({"Y": 2013})", true}, Case{R"({"Y": "2099"})", true}, Case{R"({"Y": 2012})", false},
    Case{R"({"Y": 2100})", false}, Case{R"({"Y": "20x6"})", false}, Case{R"({"Y": 2026.0})", false},
    Case{R"({"Y": true})", false}, Case{R"({"Y": -2026})", false},
    // m: two digits 01..12
    Case{R"({"m": "01"})", true}, Case{R"({"m": "12"})", true}, Case{R"({"m": "00"})", false},
    Case{R"({"m": "13"})", false}, Case{R"({"m": 1})", false}, Case{R"({"m": "001"})", false},
    Case{R"({"m": "1 "})", false},
    // d: two digits 01..31 or @t
    Case{R"({"d": "01"})", true}, Case{R"({"d": "31"})", true}, Case{R"({"d": "@t"})", true},
    Case{R"({"d": "00"})", false}, Case{R"({"d": "5"})", false}, Case{R"({"d": 5})", false},
    Case{R"({"d": "@T"})", false},
    // W: 1..53
    Case{R"({"W": 1})", true}, Case{R"({"W": "53"})", true}, Case{R"({"W": 0})", false},
    Case{R"({"W": 54})", false}, Case{R"({"W": "01"})", true},
    // N: 1..7
    Case{R"({"N": 1})", true}, Case{R"({"N": "7"})", true}, Case{R"({"N": 0})", false},
    Case{R"({"N": 8})", false},
    // z: 1..366
    Case{R"({"z": 1})", true}, Case{R"({"z": "366"})", true}, Case{R"({"z": 0})", false},
    Case{R"({"z": 367})", false},
    // H: 00..23, i: 00..59
    Case{R"({"H": "00"})", true}, Case{R"({"H": "23"})", true}, Case{R"({"H": "3"})", false},
    Case{R"({"H": 3})", false}, Case{R"({"i": "00"})", true}, Case{R"({"i": "59"})", true},
    Case{R"({"i": "60"})", false}, Case{R"({"i": "-1"})", false},
    // U: a positive multiple of 60, at most 365 days alone
    Case{R"({"U": 60})", true}, Case{R"({"U": "31536000"})", true}, Case{R"({"U": 31536060})", false},
    Case{R"({"U": 0})", false}, Case{R"({"U": 90})", false}, Case{R"({"U": "5m"})", false},
    Case{R"({"U": -60})", false},
    // unknown, repeated and not an object
    Case{R"({"y": 2026})", false}, Case{R"({"HH": "01"})", false}, Case{R"({"H": "01", "H": "02"})", false},
    Case{"[]", false}, Case{R"("U")", false}, Case{"null", false}));

INSTANTIATE_TEST_SUITE_P(Groups, SchedulerConditionTable, testing::Values(
    Case{R"({"Y": 2026, "m": "05", "d": "01", "H": "00", "i": "00", "U": 60})", true},
    Case{R"({"Y": 2026, "W": 10, "N": 1, "H": "00", "i": "00", "U": 60})", true},
    Case{R"({"Y": 2026, "z": 100, "H": "00", "i": "00", "U": 60})", true},
    Case{R"({"m": "05", "W": 10})", false}, Case{R"({"m": "05", "N": 1})", false},
    Case{R"({"d": "01", "W": 1})", false}, Case{R"({"m": "05", "z": 1})", false},
    Case{R"({"d": "01", "z": 1})", false}, Case{R"({"W": 1, "z": 1})", false},
    Case{R"({"N": 1, "z": 1})", false}, Case{R"({"N": 1, "H": "12"})", true},
    Case{R"({"Y": 2030, "z": 1})", true}));

INSTANTIATE_TEST_SUITE_P(IntervalBounds, SchedulerConditionTable, testing::Values(
    Case{R"({"i": "30", "U": 60})", true}, Case{R"({"i": "30", "U": 120})", false},
    Case{R"({"H": "03", "U": 3600})", true}, Case{R"({"H": "03", "U": 3660})", false},
    Case{R"({"d": "01", "U": 86400})", true}, Case{R"({"d": "01", "U": 86460})", false},
    Case{R"({"N": 1, "U": 86400})", true}, Case{R"({"N": 1, "U": 86460})", false},
    Case{R"({"z": 1, "U": 86400})", true}, Case{R"({"z": 1, "U": 86460})", false},
    Case{R"({"W": 1, "U": 604800})", true}, Case{R"({"W": 1, "U": 604860})", false},
    Case{R"({"m": "01", "U": 2592000})", true}, Case{R"({"m": "01", "U": 2592060})", false},
    Case{R"({"Y": 2030, "U": 31536000})", true}, Case{R"({"Y": 2030, "U": 31536060})", false},
    Case{R"({"Y": 2030, "H": "01", "U": 3600})", true}, Case{R"({"Y": 2030, "H": "01", "U": 7200})", false}));

INSTANTIATE_TEST_SUITE_P(Cron, SchedulerConditionTable, testing::Values(
    Case{R"({"cron": "*/5 * * * *"})", true}, Case{R"({"cron": "0 3 * * mon-fri"})", true},
    Case{R"({"cron": "* * *"})", false}, Case{R"({"cron": 5})", false},
    Case{R"({"cron": "* * * * *", "U": 60})", false}, Case{R"({"U": 60, "cron": "* * * * *"})", false}));

TEST(SchedulerCondition, ErrorsNameTheField) {
  EXPECT_EQ(invalid(R"({"H": "24"})"), R"(condition field "H" must be a string of two digits from "00" to "23")");
  EXPECT_EQ(invalid(R"({"m": "1"})"), R"(condition field "m" must be a string of two digits from "01" to "12")");
  EXPECT_EQ(invalid(R"({"d": "32"})"),
            R"(condition field "d" must be a string of two digits from "01" to "31", or "@t" for the month's last day)");
  EXPECT_EQ(invalid(R"({"N": "8"})"), R"(condition field "N" must be an integer from 1 to 7)");
  EXPECT_EQ(invalid(R"({"U": 61})"), R"(condition field "U" must be a positive multiple of 60 (seconds))");
  EXPECT_EQ(invalid(R"({"i": "30", "U": 120})"), R"(condition field "U" may not exceed 60 seconds when "i" is given)");
  EXPECT_EQ(invalid(R"({"U": 31536060})"), R"(condition field "U" may not exceed 31536000 seconds (365 days))");
  EXPECT_NE(invalid(R"({"d": "01", "N": "1"})").find(R"(condition fields "d" and "N" cannot be combined)"),
            std::string::npos);
  EXPECT_NE(invalid(R"({"Q": "1"})").find(R"(condition field "Q" is not known)"), std::string::npos);
  EXPECT_NE(invalid("{}").find("no field"), std::string::npos);
  std::string huge = "{\"" + std::string(100000, 'x') + "\": 1}";
  EXPECT_LT(invalid(huge.c_str()).size(), 200u);
  EXPECT_NE(invalid(R"({"cron": "* *"})").find("five fields"), std::string::npos);
}

TEST(SchedulerCondition, CanonicalFormComparesMeaning) {
  EXPECT_EQ(valid(R"({"U": "300"})").canonical(), valid(R"({"U": 300})").canonical());
  EXPECT_EQ(valid(R"({"i": "15", "H": "03"})").canonical(), valid(R"({"H": "03", "i": "15"})").canonical());
  EXPECT_EQ(valid(R"({"W": "01", "Y": 2026})").canonical(), valid(R"({"Y": "2026", "W": 1})").canonical());
  EXPECT_NE(valid(R"({"H": "03"})").canonical(), valid(R"({"H": "03", "i": "00"})").canonical());
  EXPECT_NE(valid(R"({"d": "@t"})").canonical(), valid(R"({"d": "31"})").canonical());
  EXPECT_NE(valid(R"({"N": 1})").canonical(), valid(R"({"z": 1})").canonical());
  EXPECT_EQ(valid(R"({"cron": "*/30 * * * *"})").canonical(), valid(R"({"cron": "0,30 * * * *"})").canonical());
  EXPECT_NE(valid(R"({"cron": "0 * * * *"})").canonical(), valid(R"({"i": "00"})").canonical());
}

}  // namespace
}  // namespace backend::plugins::scheduler
