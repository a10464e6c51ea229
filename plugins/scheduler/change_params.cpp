#include "plugins/scheduler/change_params.h"

#include "protocol/coerce.h"
#include "protocol/response.h"

namespace backend::plugins::scheduler {

std::optional<ScheduleChange> read_change(const rapidjson::Value& params, bool required, std::string& error) {
  ScheduleChange change;
  auto enable = params.FindMember("enable");
  if (enable != params.MemberEnd()) {
    if (!(change.enable = protocol::coerce_bool(enable->value))) {
      error = "enable must be a boolean: true, false, 1, 0, \"1\", \"0\", \"true\", \"false\" or \"\"";
      return std::nullopt;
    }
  } else if (required) {
    error = "enable is required";
    return std::nullopt;
  }
  auto condition = params.FindMember("condition");
  if (condition != params.MemberEnd()) {
    if (!(change.condition = parse_condition(condition->value, error))) return std::nullopt;
    change.condition_json = protocol::to_json(condition->value);
  } else if (required) {
    error = "condition is required";
    return std::nullopt;
  }
  return change;
}

std::optional<std::string> read_uuid(const rapidjson::Value& params, std::string& error) {
  auto uuid = params.FindMember("uuid");
  if (uuid == params.MemberEnd()) {
    error = "uuid is required";
    return std::nullopt;
  }
  if (!uuid->value.IsString()) {
    error = "uuid must be a string";
    return std::nullopt;
  }
  return std::string(uuid->value.GetString(), uuid->value.GetStringLength());
}

}  // namespace backend::plugins::scheduler
