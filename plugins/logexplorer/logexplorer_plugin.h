// The log explorer: lists and reads the job and server log files the server
// wrote under DATA/log (PROTOCOL.md, "logexplorer"). Read-only; every file
// is opened on the thread pool, never on the listener's loop.
#pragma once

#include <string>
#include <string_view>

#include <span>

#include "plugins/logexplorer/request.h"
#include "plugins/logexplorer/settings.h"
#include "plugins/plugin.h"

namespace backend::plugins::logexplorer {

class LogExplorerPlugin : public Plugin {
 public:
  std::optional<std::string> configure(const rapidjson::Value& settings) override;
  void inited(Host& host) override;
  // The plugin's commands, each with its handler.
  static std::span<const CommandSpec> commands();

 private:
  // LISTDIR, LISTFILE and GET, of a job's logs or (job false) the server's.
  template <Verb verb, bool job>
  void serve(const rapidjson::Value& params, Done done);
  void serve(Target target, const rapidjson::Value& params, Done done);

  uv_loop_t* loop_ = nullptr;
  std::string log_dir_;
  Settings settings_;
};

const PluginInfo& logexplorer_plugin_info();

}  // namespace backend::plugins::logexplorer
