// The config as the master takes it, at start, on SIGHUP and for
// --check-config: read and checked key by key, then the plugin part checked
// by the plugins themselves.
#pragma once

#include <optional>
#include <string>

#include "conf/config.h"

namespace backend::master {

// On a reload, `running` is the config that runs: what only a restart can
// change is held at its running value before anything is checked, so that
// the config checked is the one that will run; `held` then names what was
// held back.
std::optional<std::string> load_checked_config(const std::string& path, const conf::Overrides& overrides,
                                               conf::Config& out, const conf::Config* running = nullptr,
                                               std::string* held = nullptr);

}  // namespace backend::master
