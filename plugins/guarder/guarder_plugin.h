// guarder: a job with `guard: true` that exits without a STOP is started
// again: at once the first time, then with exponential backoff while it
// keeps dying (plugins/guarder/backoff.h). STOP ends guarding until the
// next START. Every check_interval seconds a sweep also starts guarded jobs
// found down that nobody stopped (an exit the guarder did not see).
//
// Settings: check_interval (s, default 60), backoff_max (s, default 60),
// backoff_reset (s a run must last for the backoff to start over, default 60).
#pragma once

#include "plugins/plugin.h"

namespace backend::plugins::guarder {

const PluginInfo& guarder_plugin_info();

}  // namespace backend::plugins::guarder
