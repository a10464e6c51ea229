// Job configuration and control: add, update, delete, get, getall,
// start, stop, restart.
#include <string>

#include "commands.h"
#include "format.h"
#include "job_options.h"

namespace backendctl {
namespace {

using backend::client::Params;

int add(Context& ctx, const ParsedArgs& a) {
  Params settings = job_settings(a);
  return ctx.finish(ctx.backend().add(a.positionals[0], a.positionals[1], settings));
}

int update(Context& ctx, const ParsedArgs& a) {
  Params settings = job_settings(a);
  if (settings.empty()) throw UsageError("nothing to update: give at least one job option");
  return ctx.finish(ctx.backend().update(a.positionals[0], settings));
}

int remove(Context& ctx, const ParsedArgs& a) { return ctx.finish(ctx.backend().remove(a.positionals[0])); }
int get(Context& ctx, const ParsedArgs& a) { return ctx.finish(ctx.backend().get(a.positionals[0]), pretty_json_line); }
int getall(Context& ctx, const ParsedArgs&) { return ctx.finish(ctx.backend().getall(), pretty_json_line); }
int start(Context& ctx, const ParsedArgs& a) { return ctx.finish(ctx.backend().start(a.positionals[0])); }
int stop(Context& ctx, const ParsedArgs& a) { return ctx.finish(ctx.backend().stop(a.positionals[0])); }
int restart(Context& ctx, const ParsedArgs& a) { return ctx.finish(ctx.backend().restart(a.positionals[0])); }

std::string add_details() {
  return "COMMAND is the program's path on the server's machine, as the server sees it.\n"
         "Prints nothing on success.\n\n" +
         std::string(kJobOptionsHelp);
}

std::string update_details() {
  return "Only the settings given change; the others keep their values.\n"
         "Prints nothing on success.\n\n" +
         std::string(kJobOptionsHelp);
}

}  // namespace

std::vector<Command> job_commands() {
  static const std::string add_help = add_details();
  static const std::string update_help = update_details();
  return {
      {"add", "NAME COMMAND [JOB OPTIONS]", "Adds a job (it does not start it).", add_help, job_option_specs(), 2, 2,
       add},
      {"update", "NAME JOB OPTIONS...", "Changes settings of a job.", update_help, job_option_specs(), 1, 1, update},
      {"delete", "NAME", "Deletes a job that is not running (its logs are kept).", "", {}, 1, 1, remove},
      {"get", "NAME", "Prints a job's settings as JSON.", "", {}, 1, 1, get},
      {"getall", "", "Prints every job's settings as JSON, by name.", "", {}, 0, 0, getall},
      {"start", "NAME", "Starts a job.", "", {}, 1, 1, start},
      {"stop",
       "NAME",
       "Stops a job, waiting until it is gone.",
       "Sends the job's stopsignal, then SIGKILL after its stoptimeout.\n",
       {},
       1,
       1,
       stop},
      {"restart", "NAME", "Stops a running job and starts it again.", "", {}, 1, 1, restart},
  };
}

}  // namespace backendctl
