// A schedule's condition: the original's time fields (PROTOCOL.md, section
// scheduler) or a cron expression, checked and read into numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "plugins/scheduler/cron.h"

namespace backend::plugins::scheduler {

// d = "@t": the last day of the month.
inline constexpr int kLastDay = 0;

// U may not exceed a year, alone or with Y.
inline constexpr int64_t kMaxInterval = 365 * 86400;

struct Condition {
  // A field the condition does not name is nullopt.
  std::optional<int> Y, m, d, W, N, z, H, i;
  std::optional<int64_t> U;  // seconds, a multiple of 60
  std::optional<Cron> cron;  // when set, no other field is

  // Equal for conditions that mean the same ({"U": "300"} and {"U": 300},
  // "*/15" and "0,15,30,45"): what "the same condition" is compared by.
  std::string canonical() const;
  bool operator==(const Condition&) const = default;  // field by field (DueCache)
};

// Checks a condition as the client sent it. nullopt with error set to one
// sentence naming the field otherwise.
std::optional<Condition> parse_condition(const rapidjson::Value& v, std::string& error);

}  // namespace backend::plugins::scheduler
