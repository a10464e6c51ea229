// The plugins of one side (listener or supervisor): chosen by the config's
// autoload_plugins, configured with their settings blocks, and called at
// each hook. Registers the commands of the plugins of both sides in the
// command table, so that the listener can tell where a command goes.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "plugins/plugin.h"
#include "worker/common/command_table.h"

namespace backend::worker {

class PluginHost {
 public:
  // Checks the plugin part of a config as a start would: every name in
  // autoload_plugins and plugin_settings is a plugin, and every selected
  // plugin takes its settings. The error names the plugin.
  static std::optional<std::string> check(std::span<const plugins::PluginInfo> all, const conf::Config& config);

  PluginHost(std::span<const plugins::PluginInfo> all, plugins::Side side);
  ~PluginHost();

  // Makes the selected plugins of this side, each configured. Called once.
  std::optional<std::string> load(const conf::Config& config);
  // Gives the plugins their new settings (SIGHUP). A plugin that refuses
  // keeps its old ones (the master has checked them already).
  void reconfigure(const conf::Config& config);
  // Server inited. base.data_dir is the server's DATA_DIR/plugins.
  // save_any, when set, saves a file of the named plugin's folder: each
  // plugin's Host::save_file is it, bound to the plugin.
  using SaveAny = std::function<void(const std::string& plugin, const std::string& file, std::string content,
                                     plugins::Host::Saved saved)>;
  void inited(const plugins::Host& base, SaveAny save_any = {});

  // Every command: the core ones and those of the selected plugins of
  // both sides, once load() has run.
  const CommandTable& commands() const { return commands_; }

  // The first plugin that refuses the request or decides later says so.
  plugins::Verdict received(std::string_view command, const rapidjson::Value& params);
  void finished(std::string_view command, const rapidjson::Value& params, plugins::Code code);
  void job_exited(const plugins::JobExit& exit);
  // Every plugin's stopped(), one after the other; then done.
  void stopped(std::function<void()> done);
  void close();
  bool empty() const { return mine_.empty(); }

 private:
  struct Loaded {
    const plugins::PluginInfo* info;
    std::unique_ptr<plugins::Plugin> plugin;
    std::unique_ptr<plugins::Host> host;  // plugins keep a reference to theirs
  };
  void stopped_from(size_t i, std::function<void()> done);

  std::span<const plugins::PluginInfo> all_;
  plugins::Side side_;
  std::vector<const plugins::PluginInfo*> selected_;
  std::vector<Loaded> mine_;
  CommandTable commands_;
};

}  // namespace backend::worker
