// The parameters of the scheduler's commands beyond jobname, read and
// checked before anything is queued (the params object does not outlive
// the handle() call).
#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "plugins/scheduler/condition.h"

namespace backend::plugins::scheduler {

// enable and condition as ADD and UPDATE carry them.
struct ScheduleChange {
  std::optional<bool> enable;          // PHP-style boolean, normalised
  std::optional<Condition> condition;
  std::string condition_json;          // the condition as sent, when given
};

// required: both must be there (ADD); otherwise each is optional (UPDATE).
// nullopt with error set to one sentence naming the parameter.
std::optional<ScheduleChange> read_change(const rapidjson::Value& params, bool required, std::string& error);

// params["uuid"], a string.
std::optional<std::string> read_uuid(const rapidjson::Value& params, std::string& error);

}  // namespace backend::plugins::scheduler
