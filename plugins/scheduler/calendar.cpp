#include "plugins/scheduler/calendar.h"

namespace backend::plugins::scheduler {

// Howard Hinnant's days_from_civil / civil_from_days: exact for every
// Gregorian date, no tables.
int64_t days_from_civil(int year, int month, int day) {
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civil_from_days(int64_t days) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return {year, month, day};
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

int day_of_year(const Date& d) {
  return static_cast<int>(days_from_civil(d) - days_from_civil(d.year, 1, 1)) + 1;
}

int iso_weekday(int64_t days) {
  // 1970-01-01 was a Thursday (4).
  int64_t r = (days + 3) % 7;
  if (r < 0) r += 7;
  return static_cast<int>(r) + 1;
}

namespace {

// A year has 53 ISO weeks when it starts on a Thursday, or on a Wednesday
// in a leap year.
int iso_weeks_in_year(int year) {
  int jan1 = iso_weekday(days_from_civil(year, 1, 1));
  return jan1 == 4 || (jan1 == 3 && is_leap_year(year)) ? 53 : 52;
}

}  // namespace

int iso_week(const Date& d) {
  int week = (day_of_year(d) - iso_weekday(days_from_civil(d)) + 10) / 7;
  if (week < 1) return iso_weeks_in_year(d.year - 1);
  if (week > iso_weeks_in_year(d.year)) return 1;
  return week;
}

namespace {

bool shows(time_t t, const Date& d, int hour, int minute) {
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm.tm_year + 1900 == d.year && tm.tm_mon + 1 == d.month && tm.tm_mday == d.day &&
         tm.tm_hour == hour && tm.tm_min == minute && tm.tm_sec == 0;
}

}  // namespace

std::optional<time_t> first_instant(const Date& d, int hour, int minute) {
  // mktime alone cannot say "no such time" and picks either occurrence of a
  // repeated one; asking for both DST states and keeping the answers that
  // read back unchanged gives exactly the instants that show this wall time.
  std::optional<time_t> best;
  for (int isdst : {1, 0}) {
    std::tm tm{};
    tm.tm_year = d.year - 1900;
    tm.tm_mon = d.month - 1;
    tm.tm_mday = d.day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = isdst;
    time_t t = mktime(&tm);
    if (t == static_cast<time_t>(-1) || !shows(t, d, hour, minute)) continue;
    if (!best || t < *best) best = t;
  }
  return best;
}

time_t day_start(const Date& d) {
  // Gaps are at most a few hours; look minute by minute only in that rare
  // case. A day the zone skips whole (Samoa, 2011-12-30) starts where the
  // next one does, so it holds no instant.
  int64_t days = days_from_civil(d);
  for (int64_t day = days; day < days + 3; ++day) {
    Date date = civil_from_days(day);
    for (int minutes = 0; minutes < 24 * 60; ++minutes) {
      if (auto t = first_instant(date, minutes / 60, minutes % 60)) return *t;
    }
  }
  return static_cast<time_t>(days) * 86400;
}

Wall local_wall(time_t t) {
  std::tm tm{};
  localtime_r(&t, &tm);
  return {{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday}, tm.tm_hour, tm.tm_min};
}

}  // namespace backend::plugins::scheduler
