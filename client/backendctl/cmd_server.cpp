// The server itself (server mem, server read) and `call`, which sends any
// command: for plugins and extensions this tool does not know.
#include <cctype>

#include "commands.h"
#include "format.h"
#include "outcome.h"
#include "views.h"

namespace backendctl {
namespace {

using backend::client::Params;

int server_mem(Context& ctx, const ParsedArgs&) {
  return ctx.finish(ctx.backend().servermem(), [](const rapidjson::Value& d) {
    if (!d.IsInt64()) throw BadReply("the memory is not a number");
    return human_kib(d.GetInt64()) + "\n";
  });
}

int server_read(Context& ctx, const ParsedArgs&) {
  return ctx.finish(ctx.backend().serverread(), [](const rapidjson::Value& d) {
    if (!d.IsString()) throw BadReply("the output is not a string");
    return as_lines(std::string(d.GetString(), d.GetStringLength()));
  });
}

int call(Context& ctx, const ParsedArgs& a) {
  const std::string& command = a.positionals[0];
  // A space would end the command word on the wire and shift the JSON.
  if (command.empty()) throw UsageError("COMMAND must not be empty");
  for (unsigned char c : command)
    if (std::isspace(c) || c < 0x20) throw UsageError("COMMAND must be one word");
  Params params;
  if (a.positionals.size() > 1 && !Params::parse(a.positionals[1], params))
    throw UsageError("PARAMS must be a JSON object, e.g. '{\"jobname\":\"web\"}'");
  return ctx.finish(ctx.backend().call(command, params),
                    [](const rapidjson::Value& d) { return d.IsNull() ? std::string() : pretty_json_line(d); });
}

constexpr std::string_view kCallDetails =
    "Sends COMMAND as it is given (commands are upper case: STATUSALL,\n"
    "AUTH.GETALL), with PARAMS when given, and prints the reply's data as\n"
    "indented JSON (nothing when it has none). The exit status follows the\n"
    "reply's code as for every command: UNKNOWN, when the server knows no such\n"
    "command, exits 3.\n"
    "\n"
    "Example: backendctl call STATUS '{\"jobname\":\"web\",\"detail\":true}'\n";

}  // namespace

std::vector<Command> server_commands() {
  return {
      {"server mem", "", "Prints the server's resident memory (all its processes).", "", {}, 0, 0, server_mem},
      {"server read", "", "Prints the server's recent output.", "", {}, 0, 0, server_read},
      {"call",
       "COMMAND [PARAMS]",
       "Sends any command, PARAMS a JSON object, and prints the data.",
       kCallDetails,
       {},
       1,
       2,
       call},
  };
}

}  // namespace backendctl
