// The plugin's settings block in the server's config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "plugins/logexplorer/log_read.h"

namespace backend::plugins::logexplorer {

inline constexpr uint64_t kMaxMaxBytes = uint64_t{1} << 30;

struct Settings {
  uint64_t max_bytes = kDefaultMaxBytes;  // most bytes one GET returns
};

// The settings a block gives (what it leaves out at its default, so a key
// removed before a reload goes back to the default), or none with error
// naming the setting that is wrong or unknown.
std::optional<Settings> parse_settings(const rapidjson::Value& block, std::string& error);

}  // namespace backend::plugins::logexplorer
