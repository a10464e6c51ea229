#include "protocol/commands.h"

#include <array>

namespace backend::protocol {

namespace {

using enum Side;

constexpr std::array<CommandInfo, 15> kCoreCommands{{
    // name, side, needs_jobname, changes_state
    {"ADD", kSupervisor, true, true},
    {"DELETE", kSupervisor, true, true},
    {"UPDATE", kSupervisor, true, true},
    {"START", kSupervisor, true, true},
    {"STOP", kSupervisor, true, true},
    {"RESTART", kSupervisor, true, true},
    {"GET", kListener, true, false},
    {"GETALL", kListener, false, false},
    {"STATUS", kListener, true, false},
    {"STATUSALL", kListener, false, false},
    {"READ", kListener, true, false},
    {"MEM", kListener, true, false},
    {"MEMALL", kListener, false, false},
    {"SERVERMEM", kListener, false, false},
    {"SERVERREAD", kListener, false, false},
}};

}  // namespace

const CommandInfo* find_core_command(std::string_view name) {
  // Fifteen short names: a linear scan beats hashing the name.
  for (const auto& info : kCoreCommands) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace backend::protocol
