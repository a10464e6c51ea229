// autostart: when the server starts (not on SIGHUP, nor when a worker that
// died is started again), starts every job whose settings say autostart.
#pragma once

#include "plugins/plugin.h"

namespace backend::plugins::autostart {

const PluginInfo& autostart_plugin_info();

}  // namespace backend::plugins::autostart
