// The log explorer plugin: logs ls|files|cat for a job's log files,
// logs server-ls|server-files|server-cat for the server's.
#include <iostream>

#include "commands.h"
#include "outcome.h"
#include "views.h"

namespace backendctl {
namespace {

using backend::client::Params;

// --offset and --length: a byte range of a large file.
Params range(const ParsedArgs& a) {
  Params p;
  if (auto o = a.value("offset")) p.set("offset", parse_int("--offset", *o, 0, INT64_MAX));
  if (auto l = a.value("length")) p.set("length", parse_int("--length", *l, 0, INT64_MAX));
  return p;
}

// The file as it is: no newline added, so that `logs cat` > file copies it.
std::string content(const rapidjson::Value& d) {
  if (!d.IsString()) throw BadReply("the file's content is not a string");
  return std::string(d.GetString(), d.GetStringLength());
}

int job_dirs(Context& ctx, const ParsedArgs& a) {
  return ctx.finish(ctx.backend().logexplorer_listdir(a.positionals[0]), format_string_list);
}

int job_files(Context& ctx, const ParsedArgs& a) {
  const auto& p = a.positionals;
  return ctx.finish(ctx.backend().logexplorer_listfile(p[0], p[1]), format_string_list);
}

int job_cat(Context& ctx, const ParsedArgs& a) {
  const auto& p = a.positionals;
  return ctx.finish(ctx.backend().logexplorer_get(p[0], p[1], p[2], range(a)), content);
}

int server_dirs(Context& ctx, const ParsedArgs&) {
  return ctx.finish(ctx.backend().logexplorer_serverlistdir(), format_string_list);
}

int server_files(Context& ctx, const ParsedArgs& a) {
  return ctx.finish(ctx.backend().logexplorer_serverlistfile(a.positionals[0]), format_string_list);
}

int server_cat(Context& ctx, const ParsedArgs& a) {
  const auto& p = a.positionals;
  return ctx.finish(ctx.backend().logexplorer_serverget(p[0], p[1], range(a)), content);
}

constexpr std::string_view kCatDetails =
    "Prints the file as it is. The server sends at most its configured cap at once\n"
    "(8 MiB by default) and then warns on stderr that the file was cut.\n"
    "\n"
    "Options:\n"
    "  --offset BYTES   start there\n"
    "  --length BYTES   at most that many bytes\n";

}  // namespace

std::vector<Command> logs_commands() {
  const std::vector<OptionSpec> range_options = {{"offset", 0, true}, {"length", 0, true}};
  return {
      {"logs ls", "NAME", "Lists a job's log folders (days), newest first.", "", {}, 1, 1, job_dirs},
      {"logs files",
       "NAME DIR",
       "Lists the log files in one of a job's folders, newest first.",
       "",
       {},
       2,
       2,
       job_files},
      {"logs cat", "NAME DIR FILE [--offset N] [--length N]", "Prints one of a job's log files.", kCatDetails,
       range_options, 3, 3, job_cat},
      {"logs server-ls", "", "Lists the server's log folders, newest first.", "", {}, 0, 0, server_dirs},
      {"logs server-files", "DIR", "Lists the files in one of the server's log folders.", "", {}, 1, 1, server_files},
      {"logs server-cat", "DIR FILE [--offset N] [--length N]", "Prints one of the server's log files.", kCatDetails,
       range_options, 2, 2, server_cat},
  };
}

}  // namespace backendctl
