// The core command table: who answers a command and what it needs.
#pragma once

#include <string_view>

namespace backend::protocol {

enum class Side {
  kListener,    // answered from shared memory by the listener
  kSupervisor,  // forwarded to the supervisor, the only writer
};

struct CommandInfo {
  std::string_view name;
  Side side;
  bool needs_jobname;
  bool changes_state;  // written to the server's output (SERVERREAD)
};

// nullptr when the command is not a core command.
const CommandInfo* find_core_command(std::string_view name);

}  // namespace backend::protocol
