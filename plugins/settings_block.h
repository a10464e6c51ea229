// Reading a plugin's settings block: every key must be known, every value an
// integer in its range. Nothing is taken unless all of it is right, so a
// refused reload leaves the running settings whole.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace backend::plugins {

struct UintSetting {
  std::string_view key;
  uint64_t* value;  // written only when the whole block is right
  uint64_t min;
  uint64_t max;
};

std::optional<std::string> read_settings(const rapidjson::Value& block, std::initializer_list<UintSetting> known);

// A boolean job setting ("guard", "autostart") from a job's settings JSON,
// false when absent or not a boolean.
bool job_flag(const std::string& settings_json, const char* key);

}  // namespace backend::plugins
