// Every command a worker knows, one entry each: the core commands
// (protocol/commands.h) and those of the selected plugins, which the plugin
// host registers as it loads them (worker/common/plugin_host.h). One
// lookup says which side answers a command, what it needs, and who
// handles it.
#pragma once

#include <string_view>
#include <vector>

#include "plugins/plugin.h"
#include "protocol/commands.h"

namespace backend::worker {

struct Command {
  std::string_view name;
  protocol::Side side;
  bool needs_jobname;
  bool changes_state;
  // A core command: its id names its handler on its side.
  const protocol::CommandInfo* core = nullptr;
  // A plugin's: its spec names its handler, and the plugin is this
  // worker's when it runs on this side (null on the other).
  const plugins::CommandSpec* spec = nullptr;
  plugins::Plugin* plugin = nullptr;
};

class CommandTable {
 public:
  // The core commands.
  CommandTable();
  // A selected plugin's commands, with the plugin when it runs here.
  void add(const plugins::PluginInfo& info, plugins::Plugin* plugin);
  // nullptr when no command has that name.
  const Command* find(std::string_view name) const;
  // Every command in a fixed order (the core ones, then the plugins' as
  // loaded), and a command's place in it.
  const std::vector<Command>& all() const { return commands_; }
  size_t index_of(const Command& command) const { return static_cast<size_t>(&command - commands_.data()); }

 private:
  std::vector<Command> commands_;
};

}  // namespace backend::worker
