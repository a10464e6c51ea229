#include "plugins/registry.h"

#include "plugins/auth/auth_plugin.h"
#include "plugins/autostart/autostart_plugin.h"
#include "plugins/cluster/cluster_plugin.h"
#include "plugins/guarder/guarder_plugin.h"
#include "plugins/logcleaner/logcleaner_plugin.h"
#include "plugins/logexplorer/logexplorer_plugin.h"
#include "plugins/scheduler/scheduler_plugin.h"

namespace backend::plugins {

std::span<const PluginInfo> all_plugins() {
  static const std::vector<PluginInfo> plugins{
      auth::auth_plugin_info(),
      autostart::autostart_plugin_info(),
      cluster::cluster_plugin_info(),
      guarder::guarder_plugin_info(),
      logcleaner::logcleaner_plugin_info(),
      logexplorer::logexplorer_plugin_info(),
      scheduler::scheduler_plugin_info(),
  };
  return plugins;
}

}  // namespace backend::plugins
