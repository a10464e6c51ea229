// When a schedule is next due, in the process's local time zone (the server
// sets TZ).
//
// With U: the due instants are the Unix times that are multiples of U
// (counted from the epoch, not from local midnight) at which every other
// named field matches the local time. With H or i among them, a wall time
// that occurs twice (fall back) counts only in its first pass; without
// them every instant of a matching day counts, so {"N": 1, "U": 3600} runs
// 25 times on a 25-hour Monday.
//
// Without U: the due instant is the start of each period of the smallest
// named field in which all fields match: the minute for i, the hour for H,
// the day for d, N and z, the ISO week's Monday 00:00 for W without N, the
// month's first day for m, 1 January for Y. So a schedule runs at most once
// per period of its smallest field. Where Y cuts a week at New Year
// ({"Y": 2027, "W": 53}), the period starts at the first day Y matches.
//
// Fields: W is the ISO-8601 week number of the day (whatever the ISO
// year), N the ISO weekday (1 = Monday), z the day of the year from 1,
// d = "@t" the month's last day.
//
// DST: a wall time that does not exist (spring-forward gap) does not
// match, so an H/i schedule inside the gap is skipped that day, as systemd
// does; one that occurs twice runs once, at its first occurrence. A day
// starts at its first instant (midnight, or the end of a gap at midnight).
//
// Cron conditions: the next minute whose wall time matches, same DST rule.
#pragma once

#include <ctime>
#include <optional>

#include "plugins/scheduler/condition.h"

namespace backend::plugins::scheduler {

// How far ahead next_due looks before it says "never".
inline constexpr int kHorizonYears = 8;

// The first due instant strictly after t; nullopt when there is none within
// kHorizonYears (a Y in the past, the 30th of February).
std::optional<time_t> next_due(const Condition& c, time_t t);

}  // namespace backend::plugins::scheduler
