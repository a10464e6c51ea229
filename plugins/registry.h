// Every plugin the server knows, and choosing them by the config.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "plugins/plugin.h"

namespace backend::plugins {

std::span<const PluginInfo> all_plugins();

}  // namespace backend::plugins
