#include "worker/common/command_table.h"

namespace backend::worker {

CommandTable::CommandTable() {
  for (const protocol::CommandInfo& info : protocol::core_commands())
    commands_.push_back({info.name, info.side, info.needs_jobname, info.changes_state, &info, nullptr, nullptr});
}

void CommandTable::add(const plugins::PluginInfo& info, plugins::Plugin* plugin) {
  for (const plugins::CommandSpec& spec : info.commands)
    commands_.push_back({spec.name, info.side, spec.needs_jobname, spec.changes_state, nullptr, &spec, plugin});
}

// The core commands come first: the queries, the hot path, are found after
// a few short comparisons, as a hash of the name would cost.
const Command* CommandTable::find(std::string_view name) const {
  for (const Command& c : commands_)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace backend::worker
