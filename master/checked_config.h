// The config as the master takes it, at start, on SIGHUP and for
// --check-config: read and checked key by key, then the plugin part checked
// by the plugins themselves.
#pragma once

#include <optional>
#include <string>

#include "conf/config.h"

namespace backend::master {

std::optional<std::string> load_checked_config(const std::string& path, const conf::Overrides& overrides,
                                               conf::Config& out);

}  // namespace backend::master
