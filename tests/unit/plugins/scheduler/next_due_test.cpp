#include "plugins/scheduler/next_due.h"

#include <chrono>
#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

namespace backend::plugins::scheduler {
namespace {

class SchedulerNextDue : public testing::Test {
 protected:
  void SetUp() override { zone("Europe/Berlin"); }
  void TearDown() override { zone("UTC"); }

  static void zone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

  static Condition cond(const char* json) {
    rapidjson::Document doc;
    doc.Parse(json);
    std::string error;
    auto c = parse_condition(doc, error);
    EXPECT_TRUE(c) << json << ": " << error;
    return c ? *c : Condition{};
  }

  // A local wall time that exists (its first occurrence).
  static time_t local(int y, int mo, int d, int h = 0, int mi = 0) {
    auto t = first_instant({y, mo, d}, h, mi);
    EXPECT_TRUE(t) << y << "-" << mo << "-" << d << " " << h << ":" << mi;
    return t ? *t : 0;
  }

  static time_t utc(int y, int mo, int d, int h = 0, int mi = 0) {
    return static_cast<time_t>(days_from_civil(y, mo, d)) * 86400 + h * 3600 + mi * 60;
  }

  static time_t due(const Condition& c, time_t t) {
    auto d = next_due(c, t);
    EXPECT_TRUE(d);
    return d ? *d : 0;
  }
};

TEST_F(SchedulerNextDue, IntervalAloneIsEpochAligned) {
  Condition c = cond(R"({"U": 300})");
  EXPECT_EQ(due(c, 1'000'000'000), 1'000'000'200);
  EXPECT_EQ(due(c, 1'000'000'200), 1'000'000'500);  // strictly after
  EXPECT_EQ(due(c, 1'000'000'199), 1'000'000'200);
}

TEST_F(SchedulerNextDue, DailyScheduleWalkedThroughAYear) {
  Condition c = cond(R"({"H": "03", "i": "15"})");
  time_t t = local(2026, 1, 1);
  int64_t day = days_from_civil(2026, 1, 1);
  for (int k = 0; k < 365; ++k, ++day) {
    time_t next = due(c, t);
    Wall w = local_wall(next);
    ASSERT_EQ(days_from_civil(w.date), day) << k;
    ASSERT_EQ(w.hour, 3);
    ASSERT_EQ(w.minute, 15);
    ASSERT_EQ(next, local(w.date.year, w.date.month, w.date.day, 3, 15));
    t = next;
  }
  EXPECT_EQ(t, local(2026, 12, 31, 3, 15));
}

TEST_F(SchedulerNextDue, HourlyScheduleWalkedThroughAYearSkipsTheGapAndRunsOnceInTheFold) {
  Condition c = cond(R"({"i": "30"})");
  time_t t = local(2026, 1, 1);
  time_t end = local(2027, 1, 1);
  int runs = 0;
  Wall last{};
  while (true) {
    time_t next = due(c, t);
    if (next >= end) break;
    Wall w = local_wall(next);
    ASSERT_EQ(w.minute, 30);
    if (runs > 0) {
      int expected = (last.hour + 1) % 24;
      bool spring = w.date.month == 3 && w.date.day == 29 && w.hour == 3;
      ASSERT_EQ(w.hour, spring ? 3 : expected) << w.date.month << "-" << w.date.day << " " << w.hour;
      ASSERT_EQ(next - t, spring ? 3600 : (w.date.month == 10 && w.date.day == 25 && w.hour == 3 ? 7200 : 3600));
    }
    last = w;
    t = next;
    ++runs;
  }
  EXPECT_EQ(runs, 365 * 24 - 1);
}

TEST_F(SchedulerNextDue, LastDayOfMonthInLeapAndCommonFebruary) {
  Condition c = cond(R"({"d": "@t", "H": "23", "i": "59"})");
  EXPECT_EQ(due(c, local(2028, 2, 1)), local(2028, 2, 29, 23, 59));
  EXPECT_EQ(due(c, local(2027, 2, 1)), local(2027, 2, 28, 23, 59));
  EXPECT_EQ(due(c, local(2028, 2, 29, 23, 59)), local(2028, 3, 31, 23, 59));
  time_t t = local(2026, 1, 1);
  for (int month = 1; month <= 12; ++month) {
    t = due(c, t);
    EXPECT_EQ(t, local(2026, month, days_in_month(2026, month), 23, 59));
  }
}

TEST_F(SchedulerNextDue, IsoWeek53) {
  Condition thursday = cond(R"({"W": 53, "N": 4})");
  EXPECT_EQ(due(thursday, local(2026, 1, 1)), local(2026, 12, 31));
  EXPECT_EQ(due(thursday, local(2026, 12, 31)), local(2032, 12, 30));
  Condition friday = cond(R"({"W": 53, "N": 5})");
  EXPECT_EQ(due(friday, local(2026, 12, 31)), local(2027, 1, 1));  // still week 53 of 2026
  // W alone: the week's Monday.
  EXPECT_EQ(due(cond(R"({"W": 53})"), local(2026, 6, 1)), local(2026, 12, 28));
  EXPECT_EQ(due(cond(R"({"W": 53})"), local(2026, 12, 28)), local(2032, 12, 27));
  // Y cuts the week at New Year: the period starts where Y matches.
  EXPECT_EQ(due(cond(R"({"Y": 2027, "W": 53})"), local(2026, 6, 1)), local(2027, 1, 1));
  EXPECT_EQ(next_due(cond(R"({"Y": 2027, "W": 53})"), local(2027, 1, 1)), std::nullopt);
  EXPECT_EQ(due(cond(R"({"Y": 2026, "W": 53})"), local(2026, 6, 1)), local(2026, 12, 28));
  EXPECT_EQ(due(cond(R"({"W": 10, "N": 1, "H": "08", "i": "00"})"), local(2026, 1, 1)), local(2026, 3, 2, 8));
}

TEST_F(SchedulerNextDue, SpringForwardSkipsTheMissingHour) {
  Condition c = cond(R"({"H": "02", "i": "30"})");
  EXPECT_EQ(due(c, local(2026, 3, 28, 12)), local(2026, 3, 30, 2, 30));
  Condition hourly = cond(R"({"i": "30"})");
  EXPECT_EQ(due(hourly, utc(2026, 3, 29, 0, 30)), utc(2026, 3, 29, 1, 30));  // 01:30 CET, then 03:30 CEST
  Condition every10 = cond(R"({"H": "02", "U": 600})");
  EXPECT_EQ(due(every10, local(2026, 3, 28, 12)), local(2026, 3, 30, 2));
  // A whole day's instants: 23 of them on that Sunday.
  Condition sundays = cond(R"({"N": 7, "U": 3600})");
  time_t t = local(2026, 3, 28, 12);
  int runs = 0;
  for (t = due(sundays, t); t < local(2026, 3, 30); t = due(sundays, t)) ++runs;
  EXPECT_EQ(runs, 23);
  // A day's start still exists: 00:00.
  EXPECT_EQ(due(cond(R"({"N": 7})"), local(2026, 3, 28, 12)), local(2026, 3, 29));
}

TEST_F(SchedulerNextDue, FallBackRunsOnceAtTheFirstOccurrence) {
  Condition c = cond(R"({"H": "02", "i": "30"})");
  time_t first = due(c, local(2026, 10, 24, 12));
  EXPECT_EQ(first, utc(2026, 10, 25, 0, 30));  // 02:30 CEST
  EXPECT_EQ(due(c, first), local(2026, 10, 26, 2, 30));  // not 02:30 CET an hour later
  Condition every10 = cond(R"({"H": "02", "U": 600})");
  time_t t = local(2026, 10, 24, 12);
  int runs = 0;
  for (t = due(every10, t); t < local(2026, 10, 26); t = due(every10, t)) {
    EXPECT_LT(t, utc(2026, 10, 25, 1));  // only the first pass of 02:xx
    ++runs;
  }
  EXPECT_EQ(runs, 6);
  Condition sundays = cond(R"({"N": 7, "U": 3600})");
  runs = 0;
  for (t = due(sundays, local(2026, 10, 24, 12)); t < local(2026, 10, 26); t = due(sundays, t)) ++runs;
  EXPECT_EQ(runs, 25);
}

TEST_F(SchedulerNextDue, RunsOncePerPeriodOfTheSmallestField) {
  Condition march = cond(R"({"m": "03"})");
  EXPECT_EQ(due(march, local(2026, 1, 15)), local(2026, 3, 1));
  EXPECT_EQ(due(march, local(2026, 3, 1)), local(2027, 3, 1));
  Condition march_5am = cond(R"({"m": "03", "H": "05"})");
  EXPECT_EQ(due(march_5am, local(2026, 3, 1, 5)), local(2026, 3, 2, 5));
  EXPECT_EQ(due(march_5am, local(2026, 3, 31, 5)), local(2027, 3, 1, 5));
  Condition year = cond(R"({"Y": 2027})");
  EXPECT_EQ(due(year, local(2026, 5, 5)), local(2027, 1, 1));
  EXPECT_EQ(next_due(year, local(2027, 1, 1)), std::nullopt);
  EXPECT_EQ(next_due(cond(R"({"Y": 2013})"), local(2026, 1, 1)), std::nullopt);
  EXPECT_EQ(next_due(cond(R"({"Y": 2099})"), local(2026, 1, 1)), std::nullopt);  // beyond the horizon
  EXPECT_EQ(next_due(cond(R"({"m": "02", "d": "30"})"), local(2026, 1, 1)), std::nullopt);
  EXPECT_EQ(due(cond(R"({"z": 366})"), local(2026, 1, 1)), local(2028, 12, 31));
  EXPECT_EQ(due(cond(R"({"z": 1})"), local(2026, 1, 1)), local(2027, 1, 1));
  EXPECT_EQ(due(cond(R"({"N": 1})"), local(2026, 1, 1)), local(2026, 1, 5));
  EXPECT_EQ(due(cond(R"({"H": "05"})"), local(2026, 1, 1, 5)), local(2026, 1, 2, 5));
  EXPECT_EQ(due(cond(R"({"H": "05"})"), local(2026, 1, 1, 4, 59)), local(2026, 1, 1, 5));
  Condition the31st = cond(R"({"d": "31"})");
  time_t t = local(2026, 1, 31);
  for (int month : {3, 5, 7, 8, 10, 12}) EXPECT_EQ(t = due(the31st, t), local(2026, month, 31));
}

TEST_F(SchedulerNextDue, IntervalWithFieldsIsEpochAlignedInsideThem) {
  zone("Asia/Kolkata");  // +05:30: whole UTC hours are at :30 local
  Condition c = cond(R"({"H": "03", "U": 3600})");
  EXPECT_EQ(due(c, local(2026, 5, 1)), local(2026, 5, 1, 3, 30));
  EXPECT_EQ(due(c, local(2026, 5, 1, 3, 30)), local(2026, 5, 2, 3, 30));
  Condition five = cond(R"({"H": "03", "U": 300})");
  EXPECT_EQ(due(five, local(2026, 5, 1, 3, 2)), local(2026, 5, 1, 3, 5));
  EXPECT_EQ(due(five, local(2026, 5, 1, 3, 55)), local(2026, 5, 2, 3, 0));
  Condition minute = cond(R"({"i": "07", "U": 60})");
  EXPECT_EQ(due(minute, local(2026, 5, 1, 3, 7)), local(2026, 5, 1, 4, 7));
  zone("UTC");
  Condition may = cond(R"({"Y": 2026, "m": "05", "U": 86400})");
  EXPECT_EQ(due(may, utc(2026, 1, 1)), utc(2026, 5, 1));
  EXPECT_EQ(due(may, utc(2026, 5, 30, 12)), utc(2026, 5, 31));
  EXPECT_EQ(next_due(may, utc(2026, 5, 31)), std::nullopt);
}

TEST_F(SchedulerNextDue, Cron) {
  Condition quarter = cond(R"({"cron": "*/15 * * * *"})");
  EXPECT_EQ(due(quarter, local(2026, 5, 1, 12, 7)), local(2026, 5, 1, 12, 15));
  EXPECT_EQ(due(quarter, local(2026, 5, 1, 12, 15)), local(2026, 5, 1, 12, 30));
  EXPECT_EQ(due(quarter, local(2026, 5, 1, 23, 50)), local(2026, 5, 2, 0, 0));
  EXPECT_EQ(due(cond(R"({"cron": "0 3 * * mon"})"), local(2026, 5, 1)), local(2026, 5, 4, 3));
  EXPECT_EQ(due(cond(R"({"cron": "0 0 29 2 *"})"), local(2026, 1, 1)), local(2028, 2, 29));
  EXPECT_EQ(next_due(cond(R"({"cron": "0 0 30 2 *"})"), local(2026, 1, 1)), std::nullopt);
  Condition either = cond(R"({"cron": "0 0 13 * fri"})");
  EXPECT_EQ(due(either, local(2026, 1, 10)), local(2026, 1, 13));  // Tuesday the 13th
  EXPECT_EQ(due(either, local(2026, 1, 13)), local(2026, 1, 16));  // then Friday
  Condition night = cond(R"({"cron": "30 2 * * *"})");
  EXPECT_EQ(due(night, local(2026, 3, 28, 12)), local(2026, 3, 30, 2, 30));
  EXPECT_EQ(due(night, local(2026, 10, 24, 12)), utc(2026, 10, 25, 0, 30));
  EXPECT_EQ(due(night, utc(2026, 10, 25, 0, 30)), local(2026, 10, 26, 2, 30));
  Condition every = cond(R"({"cron": "* * * * *"})");
  EXPECT_EQ(due(every, utc(2026, 10, 25, 0, 59)), utc(2026, 10, 25, 2));  // 02:59 CEST, then 03:00 CET
}

TEST_F(SchedulerNextDue, NeverDueIsAnsweredQuickly) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(next_due(cond(R"({"cron": "* * 31 2 *"})"), local(2026, 1, 1)), std::nullopt);
  EXPECT_EQ(next_due(cond(R"({"m": "02", "d": "31", "i": "00"})"), local(2026, 1, 1)), std::nullopt);
  EXPECT_EQ(next_due(cond(R"({"m": "04", "d": "31", "H": "01"})"), local(2038, 1, 1)), std::nullopt);
  EXPECT_EQ(due(cond(R"({"W": 53, "N": 7, "H": "01"})"), local(2038, 1, 4)), local(2044, 1, 3, 1));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace backend::plugins::scheduler
