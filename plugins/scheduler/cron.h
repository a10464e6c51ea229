// Five-field cron expressions (minute hour day-of-month month day-of-week),
// the scheduler's extension to the original's time fields.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "plugins/scheduler/calendar.h"

namespace backend::plugins::scheduler {

struct Cron {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;      // 1..31
  std::bitset<13> months;    // 1..12
  std::bitset<7> weekdays;   // 0 = Sunday (7 is folded onto 0)
  // As Vixie cron and cronie do: a day field written starting with "*"
  // ("*", "*/2") does not restrict; when both day fields restrict, a day
  // matching either one matches, otherwise both must.
  bool days_star = true;
  bool weekdays_star = true;

  bool day_matches(const Date& d) const;
  // Equal for expressions that select the same minutes ("*/15" and
  // "0,15,30,45"), so duplicates are found whatever way they are written.
  std::string canonical() const;
  bool operator==(const Cron&) const = default;  // field by field (DueCache)
};

// Accepts "*", "a", "a-b", "*/n", "a-b/n", "a/n" (a to the field's end) and
// lists of them; month names jan..dec and day names sun..sat in any case;
// 0 and 7 are Sunday. nullopt with error set to one sentence otherwise.
std::optional<Cron> parse_cron(std::string_view text, std::string& error);

}  // namespace backend::plugins::scheduler
