#include "protocol/commands.h"

#include <array>

namespace backend::protocol {

namespace {

using enum Side;
using enum CoreCommand;

// In the order of CoreCommand, which command_name() relies on.
constexpr std::array<CommandInfo, 17> kCoreCommands{{
    // name, side, needs_jobname, changes_state, id
    {"ADD", kSupervisor, true, true, kAdd},
    {"DELETE", kSupervisor, true, true, kDelete},
    {"UPDATE", kSupervisor, true, true, kUpdate},
    {"START", kSupervisor, true, true, kStart},
    {"STOP", kSupervisor, true, true, kStop},
    {"RESTART", kSupervisor, true, true, kRestart},
    {"GET", kListener, true, false, kGet},
    {"GETALL", kListener, false, false, kGetAll},
    {"STATUS", kListener, true, false, kStatus},
    {"STATUSALL", kListener, false, false, kStatusAll},
    {"READ", kListener, true, false, kRead},
    {"MEM", kListener, true, false, kMem},
    {"MEMALL", kListener, false, false, kMemAll},
    {"SERVERMEM", kListener, false, false, kServerMem},
    {"SERVERREAD", kListener, false, false, kServerRead},
    {"USAGE", kListener, true, false, kUsage},
    {"USAGEALL", kListener, false, false, kUsageAll},
}};

constexpr bool in_id_order() {
  for (size_t i = 0; i < kCoreCommands.size(); ++i)
    if (static_cast<size_t>(kCoreCommands[i].id) != i) return false;
  return true;
}
static_assert(in_id_order());

}  // namespace

const CommandInfo* find_core_command(std::string_view name) {
  // Fifteen short names: a linear scan beats hashing the name.
  for (const auto& info : kCoreCommands) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::span<const CommandInfo> core_commands() { return kCoreCommands; }

std::string_view command_name(CoreCommand id) { return kCoreCommands[static_cast<size_t>(id)].name; }

}  // namespace backend::protocol
