#include "plugins/logexplorer/settings.h"

#include <string_view>

#include "plugins/logexplorer/log_paths.h"
#include "protocol/coerce.h"

namespace backend::plugins::logexplorer {

std::optional<Settings> parse_settings(const rapidjson::Value& block, std::string& error) {
  if (!block.IsObject()) {
    error = "the logexplorer settings must be an object";
    return std::nullopt;
  }
  Settings settings;
  for (const auto& m : block.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key != "max_bytes") {
      error = "logexplorer: unknown setting " + shown_name(key);
      return std::nullopt;
    }
    auto n = protocol::coerce_int(m.value);
    if (!n || *n < 1 || static_cast<uint64_t>(*n) > kMaxMaxBytes) {
      error = "logexplorer: max_bytes must be an integer from 1 to " + std::to_string(kMaxMaxBytes);
      return std::nullopt;
    }
    settings.max_bytes = static_cast<uint64_t>(*n);
  }
  return settings;
}

}  // namespace backend::plugins::logexplorer
