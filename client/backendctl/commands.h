// The command table: every command's name, arguments, help and handler.
// Each group of commands (jobs, status, output, server, auth, logs,
// schedule, cluster) lives in its own file and hands its entries to the table.
#pragma once

#include <string_view>
#include <vector>

#include "args.h"
#include "context.h"

namespace backendctl {

struct Command {
  std::string_view name;      // as typed: "ls", "auth add"
  std::string_view synopsis;  // what follows the name: "NAME [-f]"
  std::string_view summary;   // one sentence, in the command list and --help
  std::string_view details;   // more --help text (options, output); may be empty
  std::vector<OptionSpec> options;
  size_t min_args = 0;  // positionals after the name
  size_t max_args = 0;
  int (*run)(Context&, const ParsedArgs&) = nullptr;
  std::string_view alias = {};  // a second name ("statusall" for "ls")
};

std::vector<Command> job_commands();
std::vector<Command> status_commands();
std::vector<Command> output_commands();
std::vector<Command> server_commands();
std::vector<Command> auth_commands();
std::vector<Command> logs_commands();
std::vector<Command> schedule_commands();
std::vector<Command> cluster_commands();

const std::vector<Command>& all_commands();
// The command whose name (or alias) is `name`; nullptr when none.
const Command* find_command(std::string_view name);
// True when `word` is the first word of two-word commands ("auth").
bool is_group(std::string_view word);

// --help of one command, of a group, of the whole tool.
std::string command_help(const Command& c);
std::string group_help(std::string_view group);
std::string main_help();
// "Usage: backendctl [OPTIONS] NAME SYNOPSIS" (one line).
std::string usage_line(const Command& c);

}  // namespace backendctl
