#include "plugins/settings_block.h"

#include <vector>

#include "protocol/coerce.h"

namespace backend::plugins {

std::optional<std::string> read_settings(const rapidjson::Value& block, std::initializer_list<UintSetting> known) {
  if (!block.IsObject()) return std::string("must be an object");
  std::vector<std::pair<uint64_t*, uint64_t>> taken;
  for (auto& m : block.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const UintSetting* setting = nullptr;
    for (const auto& s : known)
      if (s.key == key) setting = &s;
    if (!setting) return "unknown setting \"" + std::string(key) + "\"";
    if (!m.value.IsUint64() || m.value.GetUint64() < setting->min || m.value.GetUint64() > setting->max)
      return "\"" + std::string(key) + "\" must be an integer from " + std::to_string(setting->min) + " to " +
             std::to_string(setting->max);
    taken.emplace_back(setting->value, m.value.GetUint64());
  }
  for (auto [field, value] : taken) *field = value;
  return std::nullopt;
}

bool job_flag(const std::string& settings_json, const char* key) {
  rapidjson::Document d;
  d.Parse(settings_json.c_str(), settings_json.size());
  if (!d.IsObject() || !d.HasMember(key)) return false;
  return protocol::coerce_bool(d[key]).value_or(false);
}

}  // namespace backend::plugins
