#include "plugins/scheduler/cron.h"

#include <gtest/gtest.h>

namespace backend::plugins::scheduler {
namespace {

Cron parse(std::string_view text) {
  std::string error;
  auto c = parse_cron(text, error);
  EXPECT_TRUE(c) << text << ": " << error;
  return c ? *c : Cron{};
}

std::string error_of(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_cron(text, error)) << text;
  return error;
}

TEST(SchedulerCron, StarsSelectEverything) {
  Cron c = parse("* * * * *");
  EXPECT_EQ(c.minutes.count(), 60u);
  EXPECT_EQ(c.hours.count(), 24u);
  EXPECT_EQ(c.days.count(), 31u);  // bit 0 unused
  EXPECT_FALSE(c.days[0]);
  EXPECT_EQ(c.months.count(), 12u);
  EXPECT_EQ(c.weekdays.count(), 7u);
  EXPECT_TRUE(c.days_star);
  EXPECT_TRUE(c.weekdays_star);
}

TEST(SchedulerCron, RangesStepsListsAndNames) {
  Cron c = parse("*/15 9-17/2 1,15,31 jan-MAR,Dec mon-fri");
  EXPECT_EQ(c.minutes.count(), 4u);
  EXPECT_TRUE(c.minutes[0] && c.minutes[15] && c.minutes[30] && c.minutes[45]);
  EXPECT_EQ(c.hours.count(), 5u);
  EXPECT_TRUE(c.hours[9] && c.hours[11] && c.hours[17]);
  EXPECT_FALSE(c.hours[10]);
  EXPECT_EQ(c.days.count(), 3u);
  EXPECT_TRUE(c.months[1] && c.months[2] && c.months[3] && c.months[12]);
  EXPECT_EQ(c.months.count(), 4u);
  EXPECT_EQ(c.weekdays.count(), 5u);
  EXPECT_FALSE(c.weekdays[0]);
  EXPECT_FALSE(c.weekdays[6]);
  EXPECT_FALSE(c.days_star);
  EXPECT_FALSE(c.weekdays_star);
}

TEST(SchedulerCron, SevenAndZeroAreSundayAndValueSlashStepRunsToTheEnd) {
  EXPECT_EQ(parse("0 0 * * 7").weekdays, parse("0 0 * * 0").weekdays);
  EXPECT_EQ(parse("0 0 * * SUN").weekdays, parse("0 0 * * 0").weekdays);
  EXPECT_EQ(parse("0 0 * * 5-7").weekdays.count(), 3u);
  Cron c = parse("5/20 * * * *");
  EXPECT_EQ(c.minutes.count(), 3u);
  EXPECT_TRUE(c.minutes[5] && c.minutes[25] && c.minutes[45]);
  EXPECT_TRUE(parse("0 0 */2 * *").days_star);  // as Vixie cron: "*/2" does not restrict
}

TEST(SchedulerCron, CanonicalFormIgnoresSpelling) {
  EXPECT_EQ(parse("*/15 * * * *").canonical(), parse("0,15,30,45 * * * *").canonical());
  EXPECT_EQ(parse("0  3\t* * mon").canonical(), parse("00 03 * * 1").canonical());
  EXPECT_NE(parse("0 3 * * *").canonical(), parse("0 4 * * *").canonical());
  // A restricted field and "*" over the same values differ in the day rule.
  EXPECT_NE(parse("0 0 1-31 * 1").canonical(), parse("0 0 * * 1").canonical());
}

TEST(SchedulerCron, DayFieldsCombineAsCronDoes) {
  Cron either = parse("0 0 13 * fri");  // the 13th, or any Friday
  EXPECT_TRUE(either.day_matches({2026, 1, 13}));   // a Tuesday
  EXPECT_TRUE(either.day_matches({2026, 1, 16}));   // a Friday
  EXPECT_FALSE(either.day_matches({2026, 1, 14}));
  Cron friday = parse("0 0 * * fri");
  EXPECT_FALSE(friday.day_matches({2026, 1, 13}));
  EXPECT_TRUE(friday.day_matches({2026, 1, 16}));
  Cron odd_mondays = parse("0 0 */2 * 1");  // star-led: both must match
  EXPECT_TRUE(odd_mondays.day_matches({2026, 1, 5}));
  EXPECT_FALSE(odd_mondays.day_matches({2026, 1, 12}));
  EXPECT_FALSE(odd_mondays.day_matches({2026, 1, 7}));
  Cron june = parse("0 0 * jun *");
  EXPECT_FALSE(june.day_matches({2026, 5, 1}));
  EXPECT_TRUE(june.day_matches({2026, 6, 1}));
}

TEST(SchedulerCron, BadExpressionsSayWhatIsWrong) {
  EXPECT_NE(error_of("* * * *").find("five fields"), std::string::npos);
  EXPECT_NE(error_of("* * * * * *").find("not 6"), std::string::npos);
  EXPECT_NE(error_of("").find("not 0"), std::string::npos);
  EXPECT_NE(error_of("60 * * * *").find("minute field \"60\" is out of range 0-59"), std::string::npos);
  EXPECT_NE(error_of("* 24 * * *").find("hour field"), std::string::npos);
  EXPECT_NE(error_of("* * 0 * *").find("day-of-month field \"0\" is out of range 1-31"), std::string::npos);
  EXPECT_NE(error_of("* * * 13 *").find("month field"), std::string::npos);
  EXPECT_NE(error_of("* * * * 8").find("day-of-week field"), std::string::npos);
  EXPECT_NE(error_of("*/0 * * * *").find("step"), std::string::npos);
  EXPECT_NE(error_of("*/x * * * *").find("step"), std::string::npos);
  EXPECT_NE(error_of("5-1 * * * *").find("ends before it starts"), std::string::npos);
  EXPECT_NE(error_of("1,,2 * * * *").find("empty list element"), std::string::npos);
  EXPECT_NE(error_of("* * * foo *").find("not a number, a range or a name"), std::string::npos);
  EXPECT_NE(error_of("* * * * monday").find("day-of-week"), std::string::npos);
  EXPECT_NE(error_of("mon * * * *").find("minute"), std::string::npos);  // names only where they belong
  EXPECT_NE(error_of("-1 * * * *").find("minute"), std::string::npos);
  EXPECT_NE(error_of("@daily").find("five fields"), std::string::npos);
  std::string huge(100000, '1');
  EXPECT_LT(error_of(huge + " * * * *").size(), 200u);  // the text is not echoed whole
  EXPECT_LT(error_of(huge).size(), 200u);
}

}  // namespace
}  // namespace backend::plugins::scheduler
