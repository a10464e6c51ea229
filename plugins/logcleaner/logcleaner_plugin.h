// logcleaner: every clean_interval seconds (default 3600), removes the log
// files (the jobs' and the server's) older than logfile_expire seconds
// (default 7 days), then the folders left empty; names beginning with "__"
// are left alone. The walk runs on the thread pool.
#pragma once

#include "plugins/plugin.h"

namespace backend::plugins::logcleaner {

const PluginInfo& logcleaner_plugin_info();

}  // namespace backend::plugins::logcleaner
