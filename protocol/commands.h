// The core command table: every core command's name, the side that answers
// it, what it needs, and its id, by which each side finds its handler (the
// listener's queries, the supervisor's changes). Plugins' commands join it
// in each worker (worker/common/command_table.h).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace backend::protocol {

enum class Side {
  kListener,    // answered from shared memory by the listener
  kSupervisor,  // forwarded to the supervisor, the only writer
};

enum class CoreCommand : uint8_t {
  // the supervisor's
  kAdd, kDelete, kUpdate, kStart, kStop, kRestart,
  // the listener's
  kGet, kGetAll, kStatus, kStatusAll, kRead, kMem, kMemAll, kServerMem, kServerRead,
  // extensions: the usage history the listener samples (the dashboard's charts)
  kUsage, kUsageAll,
};

struct CommandInfo {
  std::string_view name;
  Side side;
  bool needs_jobname;
  bool changes_state;  // written to the server's output (SERVERREAD)
  CoreCommand id;
};

// nullptr when the command is not a core command.
const CommandInfo* find_core_command(std::string_view name);
std::span<const CommandInfo> core_commands();
// The name of a core command: for plugins that watch core commands.
std::string_view command_name(CoreCommand id);

}  // namespace backend::protocol
