// What runs: status, ls (statusall), mem, memall.
#include "commands.h"
#include "format.h"
#include "outcome.h"
#include "views.h"

namespace backendctl {
namespace {

using backend::client::Params;

Params detail() { return Params().set("detail", true); }

int status(Context& ctx, const ParsedArgs& a) {
  bool color = ctx.color();
  if (a.has("short")) {
    return ctx.finish(ctx.backend().status(a.positionals[0]), [&](const rapidjson::Value& d) {
      if (!d.IsString()) throw BadReply("the status is not a string");
      return format_job_status(d, color);
    });
  }
  return ctx.finish(ctx.backend().status(a.positionals[0], detail()),
                    [&](const rapidjson::Value& d) { return format_job_status(d, color); });
}

int ls(Context& ctx, const ParsedArgs& a) {
  if (a.has("names")) return ctx.finish(ctx.backend().statusall(), format_job_names);
  bool color = ctx.color();
  return ctx.finish(ctx.backend().statusall(detail()),
                    [&](const rapidjson::Value& d) { return format_job_list(d, color); });
}

int mem(Context& ctx, const ParsedArgs& a) {
  return ctx.finish(ctx.backend().mem(a.positionals[0]), [](const rapidjson::Value& d) {
    if (!d.IsInt64()) throw BadReply("the memory is not a number");
    return human_kib(d.GetInt64()) + "\n";
  });
}

int memall(Context& ctx, const ParsedArgs&) { return ctx.finish(ctx.backend().memall(), format_mem_list); }

constexpr std::string_view kStatusDetails =
    "Prints UP or DOWN on the first line, then the details:\n"
    "  UP\n"
    "    pid:       1234\n"
    "    uptime:    5m 2s (since 2024-05-01 12:00:00)\n"
    "    memory:    1.5 MiB\n"
    "    restarts:  0\n"
    "    last exit: code 3 at 2024-05-01 11:59:58\n"
    "    started by: crash\n"
    "    recent runs, newest first:\n"
    "      2024-05-01 11:59:58  code 3, ran 2h 1m, started by manual\n"
    "        | [24-05-01 11:59:57] the run's last lines of output\n"
    "'-' stands for what is unknown (a job that is down has no pid); `last exit`\n"
    "is `code N` or `signal SIGNAME`, with the time. `started by` says why the run\n"
    "began: manual (START, RESTART), crash (the guarder after an exit nobody asked\n"
    "for), scheduler or autostart. The server keeps a job's last 20 runs, each\n"
    "with its last 10 lines of output before it ended.\n"
    "\n"
    "Options:\n"
    "  -s, --short   only UP or DOWN (the plain STATUS call)\n";

constexpr std::string_view kLsDetails =
    "Columns: NAME STATE PID UPTIME MEMORY RESTARTS EXIT, sorted by name, '-' for\n"
    "what is unknown. EXIT is the last exit's code or signal. On a terminal, UP is\n"
    "green, and DOWN red when the job failed (an exit code other than 0, or a\n"
    "crash such as SIGSEGV).\n"
    "\n"
    "Options:\n"
    "  --names   only the job names, one per line\n";

}  // namespace

std::vector<Command> status_commands() {
  return {
      {"status",
       "NAME [-s]",
       "Prints whether a job runs, with its pid, uptime and memory.",
       kStatusDetails,
       {{"short", 's', false}},
       1,
       1,
       status},
      {"ls",
       "[--names]",
       "Lists every job: state, pid, uptime, memory, restarts.",
       kLsDetails,
       {{"names", 0, false}},
       0,
       0,
       ls,
       "statusall"},
      {"mem", "NAME", "Prints the resident memory of a running job (e.g. 1.5 MiB).", "", {}, 1, 1, mem},
      {"memall", "", "Lists the resident memory of every running job.", "", {}, 0, 0, memall},
  };
}

}  // namespace backendctl
