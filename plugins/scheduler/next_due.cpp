#include "plugins/scheduler/next_due.h"

#include <algorithm>

namespace backend::plugins::scheduler {
namespace {

constexpr int64_t kHorizonDays = kHorizonYears * 366 + 2;

// The first multiple of step that is >= from (from >= 0).
time_t multiple_at_or_after(time_t from, int64_t step) { return (from + step - 1) / step * step; }

bool fields_match_day(const Condition& c, const Date& d, int64_t days) {
  if (c.Y && d.year != *c.Y) return false;
  if (c.m && d.month != *c.m) return false;
  if (c.d && d.day != (*c.d == kLastDay ? days_in_month(d.year, d.month) : *c.d)) return false;
  if (c.W && iso_week(d) != *c.W) return false;
  if (c.N && iso_weekday(days) != *c.N) return false;
  if (c.z && day_of_year(d) != *c.z) return false;
  return true;
}

// Without U, H and i, a day is due only when it opens a period of the
// smallest field: a matching day whose day before does not match or lies
// in another period.
bool opens_period(const Condition& c, const Date& d, int64_t days) {
  if (c.d || c.N || c.z) return true;
  bool first_of_period = c.W ? iso_weekday(days) == 1 : c.m ? d.day == 1 : d.month == 1 && d.day == 1;
  return first_of_period || !fields_match_day(c, civil_from_days(days - 1), days - 1);
}

// The first U-multiple in [from, to) whose local wall time shows hour (and
// minute, when given).
std::optional<time_t> multiple_in(time_t from, time_t to, int64_t step, int hour, std::optional<int> minute) {
  for (time_t s = multiple_at_or_after(from, step); s < to; s += step) {
    Wall w = local_wall(s);
    if (w.hour == hour && (!minute || w.minute == *minute)) return s;
  }
  return std::nullopt;
}

// Windows of one hour (H) or one minute (i) within a matching day.
std::optional<time_t> due_at_hours(const Condition& c, const Date& d, time_t t) {
  int first = c.H ? *c.H : 0, last = c.H ? *c.H : 23;
  for (int h = first; h <= last; ++h) {
    auto start = first_instant(d, h, c.i ? *c.i : 0);
    if (!start) continue;  // in a spring-forward gap
    if (!c.U) {
      if (*start > t) return start;
      continue;
    }
    time_t end = *start + (c.i ? 60 : 3600);
    if (end <= t) continue;
    if (auto s = multiple_in(std::max(*start, t + 1), end, *c.U, h, c.i)) return s;
  }
  return std::nullopt;
}

std::optional<time_t> due_in_day(const Condition& c, const Date& d, int64_t days, time_t t) {
  if (c.H || c.i) return due_at_hours(c, d, t);
  if (!c.U && !opens_period(c, d, days)) return std::nullopt;
  time_t start = day_start(d);
  if (!c.U) {
    if (start > t) return start;
    return std::nullopt;
  }
  time_t end = day_start(civil_from_days(days + 1));
  time_t s = multiple_at_or_after(std::max(start, t + 1), *c.U);
  if (s < end) return s;
  return std::nullopt;
}

// The next day worth looking at: skips whole years and months that Y and m
// rule out, so a far Y costs no day-by-day walk.
std::optional<int64_t> skip_ahead(const Condition& c, int64_t days) {
  Date d = civil_from_days(days);
  if (c.Y && d.year > *c.Y) return std::nullopt;
  if (c.Y && d.year < *c.Y) return days_from_civil(*c.Y, c.m ? *c.m : 1, 1);
  if (c.m && d.month != *c.m) return days_from_civil(d.month < *c.m ? d.year : d.year + 1, *c.m, 1);
  return days;
}

std::optional<time_t> next_field_due(const Condition& c, time_t t) {
  if (!c.Y && !c.m && !c.d && !c.W && !c.N && !c.z && !c.H && !c.i) {
    return multiple_at_or_after(t + 1, *c.U);
  }
  // Every instant that counts and lies after t is on t's local day or
  // later: first occurrences rise with the wall time.
  int64_t days = days_from_civil(local_wall(t).date);
  const int64_t end = days + kHorizonDays;
  while (days < end) {
    auto next = skip_ahead(c, days);
    if (!next) return std::nullopt;
    if (*next != days) {
      days = *next;
      continue;
    }
    Date d = civil_from_days(days);
    if (fields_match_day(c, d, days)) {
      if (auto due = due_in_day(c, d, days, t)) return due;
    }
    ++days;
  }
  return std::nullopt;
}

std::optional<time_t> cron_due_in_day(const Cron& cron, const Date& d, time_t t) {
  // First occurrences rise with the wall time, so on t's own day nothing
  // before t's wall minute can be after t.
  Wall now = local_wall(t);
  bool today = now.date.year == d.year && now.date.month == d.month && now.date.day == d.day;
  for (int h = today ? now.hour : 0; h < 24; ++h) {
    if (!cron.hours[h]) continue;
    for (int m = today && h == now.hour ? now.minute : 0; m < 60; ++m) {
      if (!cron.minutes[m]) continue;
      auto s = first_instant(d, h, m);
      if (s && *s > t) return s;
    }
  }
  return std::nullopt;
}

std::optional<time_t> next_cron_due(const Cron& cron, time_t t) {
  int64_t days = days_from_civil(local_wall(t).date);
  const int64_t end = days + kHorizonDays;
  while (days < end) {
    Date d = civil_from_days(days);
    if (!cron.months[d.month]) {
      days = days_from_civil(d.month == 12 ? d.year + 1 : d.year, d.month % 12 + 1, 1);
      continue;
    }
    if (cron.day_matches(d)) {
      if (auto due = cron_due_in_day(cron, d, t)) return due;
    }
    ++days;
  }
  return std::nullopt;
}

}  // namespace

std::optional<time_t> next_due(const Condition& c, time_t t) {
  if (c.cron) return next_cron_due(*c.cron, t);
  return next_field_due(c, t);
}

}  // namespace backend::plugins::scheduler
