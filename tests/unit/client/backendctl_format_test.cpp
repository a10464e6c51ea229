// Suites are named backendctl*, so that `ctest -R backendctl` selects them.
#include <gtest/gtest.h>

#include "format.h"
#include "outcome.h"

namespace backendctl {
namespace {

using backend::client::Code;

TEST(backendctlFormat, ShowsTheTwoLargestUnitsAndDropsAZeroSecondOne) {
  EXPECT_EQ(human_duration(0), "0s");
  EXPECT_EQ(human_duration(45), "45s");
  EXPECT_EQ(human_duration(60), "1m");
  EXPECT_EQ(human_duration(302), "5m 2s");
  EXPECT_EQ(human_duration(3600), "1h");
  EXPECT_EQ(human_duration(3661), "1h 1m") << "seconds are below the two units shown";
  EXPECT_EQ(human_duration(86399), "23h 59m");
  EXPECT_EQ(human_duration(86400), "1d");
  EXPECT_EQ(human_duration(3 * 86400 + 4 * 3600 + 59), "3d 4h");
  EXPECT_EQ(human_duration(400 * 86400), "400d");
}

TEST(backendctlFormat, CountsANegativeSpanAsZero) { EXPECT_EQ(human_duration(-5), "0s"); }

TEST(backendctlFormat, KeepsKibibytesWholeAndGivesOneDecimalAbove) {
  EXPECT_EQ(human_kib(0), "0 KiB");
  EXPECT_EQ(human_kib(1023), "1023 KiB");
  EXPECT_EQ(human_kib(1024), "1.0 MiB");
  EXPECT_EQ(human_kib(1536), "1.5 MiB");
  EXPECT_EQ(human_kib(1024 * 1024 * 5 / 2), "2.5 GiB");
  EXPECT_EQ(human_kib(int64_t{3} * 1024 * 1024 * 1024), "3.0 TiB");
}

TEST(backendctlFormat, MovesUpAUnitWhenRoundingWouldShow1024) {
  EXPECT_EQ(human_kib(1024 * 1024 - 1), "1.0 GiB");
  EXPECT_EQ(human_kib(1024 * 1023), "1023.0 MiB");
}

TEST(backendctlFormat, PadsEveryColumnToItsWidestCellWithNoTrailingBlanks) {
  std::vector<Row> rows = {{"NAME", "STATE", "PID"}, {"a-long-name", "UP", "12"}, {"b", "DOWN", "-"}};
  EXPECT_EQ(format_table(rows, false),
            "NAME         STATE  PID\n"
            "a-long-name  UP     12\n"
            "b            DOWN   -\n");
}

TEST(backendctlFormat, DropsThePaddingBeforeAnEmptyLastCell) {
  std::vector<Row> rows = {{"A", "B"}, {"long", ""}};
  EXPECT_EQ(format_table(rows, false), "A     B\nlong\n");
}

TEST(backendctlFormat, ColoursWithoutShiftingTheColumns) {
  std::vector<Row> rows = {{"STATE", "PID"}, {Cell("UP", kGreen), "1"}};
  EXPECT_EQ(format_table(rows, true), "STATE  PID\n\033[32mUP\033[0m     1\n");
  EXPECT_EQ(format_table(rows, false), "STATE  PID\nUP     1\n");
}

TEST(backendctlFormat, IndentsByTwoSpaces) {
  rapidjson::Document d;
  d.Parse(R"({"a":1,"b":[true,"x"],"c":{}})");
  EXPECT_EQ(pretty_json(d), "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    \"x\"\n  ],\n  \"c\": {}\n}");
  EXPECT_EQ(compact_json(d), R"({"a":1,"b":[true,"x"],"c":{}})");
}

TEST(backendctlOutcome, MapsEveryCodeToItsExitStatus) {
  EXPECT_EQ(exit_status(Code::kOk), 0);
  EXPECT_EQ(exit_status(Code::kFailed), 1);
  EXPECT_EQ(exit_status(Code::kDenied), 2);
  EXPECT_EQ(exit_status(Code::kUnknown), 3);
  EXPECT_EQ(exit_status(Code::kTransport), 4);
}

TEST(backendctlOutcome, NamesTheCodeAndTheReason) {
  EXPECT_EQ(failure_line(Code::kFailed, "job \"x\" does not exist", "h:1"), "FAILED: job \"x\" does not exist");
  EXPECT_EQ(failure_line(Code::kDenied, "", "h:1"), "DENIED");
  EXPECT_EQ(failure_line(Code::kUnknown, "unknown command \"X\"", "h:1"), "UNKNOWN: unknown command \"X\"");
}

TEST(backendctlOutcome, NamesTheServerOfATransportErrorOnce) {
  EXPECT_EQ(failure_line(Code::kTransport, "timed out waiting for the reply", "10.0.0.1:13123"),
            "backendctl: 10.0.0.1:13123: timed out waiting for the reply");
  EXPECT_EQ(failure_line(Code::kTransport, "cannot connect to 10.0.0.1:13123: Connection refused", "10.0.0.1:13123"),
            "backendctl: cannot connect to 10.0.0.1:13123: Connection refused");
}

}  // namespace
}  // namespace backendctl
