#include "plugins/scheduler/calendar.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

namespace backend::plugins::scheduler {
namespace {

void use_zone(const char* tz) {
  setenv("TZ", tz, 1);
  tzset();
}

time_t utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return static_cast<time_t>(days_from_civil(y, mo, d)) * 86400 + h * 3600 + mi * 60;
}

TEST(SchedulerCalendar, DayNumbersRoundTripAndKnownDays) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  for (int64_t days = days_from_civil(2012, 1, 1); days < days_from_civil(2101, 1, 1); ++days) {
    Date d = civil_from_days(days);
    ASSERT_EQ(days_from_civil(d), days);
    ASSERT_GE(d.day, 1);
    ASSERT_LE(d.day, days_in_month(d.year, d.month));
  }
}

TEST(SchedulerCalendar, MonthLengthsAndDayOfYear) {
  EXPECT_EQ(days_in_month(2028, 2), 29);
  EXPECT_EQ(days_in_month(2027, 2), 28);
  EXPECT_EQ(days_in_month(2100, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
  EXPECT_EQ(days_in_month(2026, 4), 30);
  EXPECT_EQ(day_of_year({2026, 1, 1}), 1);
  EXPECT_EQ(day_of_year({2026, 12, 31}), 365);
  EXPECT_EQ(day_of_year({2028, 12, 31}), 366);
  EXPECT_EQ(day_of_year({2028, 3, 1}), 61);
}

TEST(SchedulerCalendar, IsoWeekdaysAndWeeks) {
  EXPECT_EQ(iso_weekday(0), 4);                              // 1970-01-01, Thursday
  EXPECT_EQ(iso_weekday(days_from_civil(2026, 3, 29)), 7);   // Sunday
  EXPECT_EQ(iso_weekday(days_from_civil(2026, 3, 30)), 1);   // Monday
  EXPECT_EQ(iso_week({2026, 1, 1}), 1);    // a Thursday: week 1
  EXPECT_EQ(iso_week({2026, 12, 28}), 53); // 2026 has 53 weeks
  EXPECT_EQ(iso_week({2026, 12, 31}), 53);
  EXPECT_EQ(iso_week({2027, 1, 3}), 53);   // still week 53 of 2026
  EXPECT_EQ(iso_week({2027, 1, 4}), 1);
  EXPECT_EQ(iso_week({2024, 12, 30}), 1);  // week 1 of 2025
  EXPECT_EQ(iso_week({2021, 1, 1}), 53);   // week 53 of 2020
  EXPECT_EQ(iso_week({2027, 12, 31}), 52);
  EXPECT_EQ(iso_week({2026, 6, 15}), 25);
}

TEST(SchedulerCalendar, AgreesWithStrftimeOnEveryDayOfTheFieldsRange) {
  for (int64_t days = days_from_civil(2013, 1, 1); days < days_from_civil(2100, 1, 1); ++days) {
    time_t t = static_cast<time_t>(days) * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    strftime(buf, sizeof buf, "%V %u %j", &tm);
    Date d = civil_from_days(days);
    char ours[16];
    snprintf(ours, sizeof ours, "%02d %d %03d", iso_week(d), iso_weekday(days), day_of_year(d));
    ASSERT_STREQ(ours, buf) << d.year << "-" << d.month << "-" << d.day;
  }
}

TEST(SchedulerCalendar, WallTimesInBerlinAcrossBothDstChanges) {
  use_zone("Europe/Berlin");
  EXPECT_EQ(first_instant({2026, 1, 15}, 12, 0), utc(2026, 1, 15, 11));
  EXPECT_EQ(first_instant({2026, 7, 15}, 12, 0), utc(2026, 7, 15, 10));
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:xx never shows.
  EXPECT_EQ(first_instant({2026, 3, 29}, 2, 0), std::nullopt);
  EXPECT_EQ(first_instant({2026, 3, 29}, 2, 59), std::nullopt);
  EXPECT_EQ(first_instant({2026, 3, 29}, 1, 59), utc(2026, 3, 29, 0, 59));
  EXPECT_EQ(first_instant({2026, 3, 29}, 3, 0), utc(2026, 3, 29, 1));
  // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 shows twice.
  EXPECT_EQ(first_instant({2026, 10, 25}, 2, 30), utc(2026, 10, 25, 0, 30));
  EXPECT_EQ(first_instant({2026, 10, 25}, 3, 0), utc(2026, 10, 25, 2));
  EXPECT_EQ(day_start({2026, 3, 29}), utc(2026, 3, 28, 23));
  EXPECT_EQ(day_start({2026, 10, 26}), utc(2026, 10, 25, 23));
  Wall w = local_wall(utc(2026, 10, 25, 1, 30));  // second pass of 02:30
  EXPECT_EQ(w.date.day, 25);
  EXPECT_EQ(w.hour, 2);
  EXPECT_EQ(w.minute, 30);
}

TEST(SchedulerCalendar, DayStartsAfterAGapAtMidnight) {
  use_zone("America/Sao_Paulo");
  // 2018-11-04: 00:00 -03 jumped to 01:00 -02.
  EXPECT_EQ(first_instant({2018, 11, 4}, 0, 0), std::nullopt);
  EXPECT_EQ(day_start({2018, 11, 4}), utc(2018, 11, 4, 3));
  use_zone("Pacific/Apia");
  // 2011-12-30 was skipped: it holds no instant.
  EXPECT_EQ(day_start({2011, 12, 30}), day_start({2011, 12, 31}));
}

}  // namespace
}  // namespace backend::plugins::scheduler
