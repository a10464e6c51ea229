// The log explorer: lists and reads the job and server log files the server
// wrote under DATA/log (PROTOCOL.md, "logexplorer"). Read-only; every file
// is opened on the thread pool, never on the listener's loop.
#pragma once

#include <string>
#include <string_view>

#include "plugins/logexplorer/settings.h"
#include "plugins/plugin.h"

namespace backend::plugins::logexplorer {

class LogExplorerPlugin : public Plugin {
 public:
  std::optional<std::string> configure(const rapidjson::Value& settings) override;
  void inited(Host& host) override;
  void handle(std::string_view command, const rapidjson::Value& params, Done done) override;

 private:
  uv_loop_t* loop_ = nullptr;
  std::string log_dir_;
  Settings settings_;
};

const PluginInfo& logexplorer_plugin_info();

}  // namespace backend::plugins::logexplorer
