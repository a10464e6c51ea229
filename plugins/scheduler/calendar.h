// Calendar arithmetic the schedule fields need, done on day numbers so that
// walking years of days costs no time-zone look-ups, and the one place that
// turns a local wall time into a Unix instant (where DST decides).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>

namespace backend::plugins::scheduler {

// A day of the proleptic Gregorian calendar.
struct Date {
  int year;
  int month;  // 1..12
  int day;    // 1..31
};

// Days since 1970-01-01 and back.
int64_t days_from_civil(int year, int month, int day);
inline int64_t days_from_civil(const Date& d) { return days_from_civil(d.year, d.month, d.day); }
Date civil_from_days(int64_t days);

bool is_leap_year(int year);
int days_in_month(int year, int month);
int day_of_year(const Date& d);  // 1 = 1 January
int iso_weekday(int64_t days);   // 1 = Monday .. 7 = Sunday
int iso_week(const Date& d);     // ISO-8601 week number, 1..53

// The first Unix instant whose local wall time is that day at hour:minute:00;
// nullopt when the time zone skips it (the spring-forward gap). A wall time
// that occurs twice (fall back) gives its first occurrence.
std::optional<time_t> first_instant(const Date& d, int hour, int minute);

// The first instant of a local day: its midnight, or the end of a DST gap
// that swallows midnight (some zones change at 00:00); for a day the zone
// skips altogether, the start of the next day.
time_t day_start(const Date& d);

// The local calendar day and wall time of an instant.
struct Wall {
  Date date;
  int hour;
  int minute;
};
Wall local_wall(time_t t);

}  // namespace backend::plugins::scheduler
