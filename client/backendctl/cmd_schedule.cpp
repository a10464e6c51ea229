// The scheduler plugin: schedule add|delete|update|get|ls|log.
#include "commands.h"
#include "format.h"
#include "views.h"

namespace backendctl {
namespace {

using backend::client::Params;

// --cron or --condition (one of them), and --enabled/--disabled, into
// SCHEDULER.ADD/UPDATE's "condition" and "enable".
Params schedule_settings(const ParsedArgs& a) {
  Params p;
  auto cron = a.value("cron");
  auto condition = a.value("condition");
  if (cron && condition) throw UsageError("give --cron or --condition, not both");
  if (cron) p.set("condition", Params().set("cron", *cron));
  if (condition) {
    Params object;
    if (!Params::parse(*condition, object))
      throw UsageError("--condition must be a JSON object, e.g. '{\"H\":\"03\",\"i\":\"00\"}'");
    p.set("condition", object);
  }
  // The last of --enabled and --disabled wins, as for any repeated option.
  for (const auto& o : a.options)
    if (o.name == "enabled" || o.name == "disabled") p.set("enable", o.name == "enabled");
  return p;
}

int add(Context& ctx, const ParsedArgs& a) {
  Params p = schedule_settings(a);
  if (!p.has("condition")) throw UsageError("give --cron EXPR or --condition JSON");
  if (!p.has("enable")) p.set("enable", true);
  return ctx.finish(ctx.backend().scheduler_add(a.positionals[0], p), [](const rapidjson::Value& d) {
    return d.IsString() ? std::string(d.GetString(), d.GetStringLength()) + "\n" : pretty_json_line(d);
  });
}

int remove(Context& ctx, const ParsedArgs& a) {
  return ctx.finish(ctx.backend().scheduler_delete(a.positionals[0], a.positionals[1]));
}

int update(Context& ctx, const ParsedArgs& a) {
  Params p = schedule_settings(a);
  if (p.empty()) throw UsageError("nothing to update: give --cron, --condition, --enabled or --disabled");
  return ctx.finish(ctx.backend().scheduler_update(a.positionals[0], a.positionals[1], p));
}

int get(Context& ctx, const ParsedArgs& a) {
  return ctx.finish(ctx.backend().scheduler_get(a.positionals[0], a.positionals[1]), pretty_json_line);
}

int ls(Context& ctx, const ParsedArgs& a) {
  std::string only = a.positionals.empty() ? "" : a.positionals[0];
  return ctx.finish(ctx.backend().scheduler_getall(),
                    [&](const rapidjson::Value& d) { return format_schedule_list(d, only); });
}

int log(Context& ctx, const ParsedArgs& a) {
  return ctx.finish(ctx.backend().scheduler_getlog(a.positionals[0], a.positionals[1]), format_time_list);
}

const std::vector<OptionSpec>& condition_specs() {
  static const std::vector<OptionSpec> specs = {
      {"cron", 0, true}, {"condition", 0, true}, {"enabled", 0, false}, {"disabled", 0, false}};
  return specs;
}

constexpr std::string_view kAddDetails =
    "Prints the new schedule's UUID.\n"
    "\n"
    "Options:\n"
    "  --cron EXPR        a five-field cron expression: '*/5 * * * *'\n"
    "  --condition JSON   the scheduler's time fields: '{\"H\":\"03\",\"i\":\"00\"}' runs at\n"
    "                     03:00 every day, '{\"U\":300}' every five minutes\n"
    "  --disabled         add it switched off (default: enabled)\n"
    "  --enabled          add it switched on\n";

constexpr std::string_view kUpdateDetails =
    "Options:\n"
    "  --cron EXPR, --condition JSON   a new condition (see schedule add --help)\n"
    "  --enabled, --disabled           switch it on or off\n";

constexpr std::string_view kLsDetails = "Columns: JOB UUID ENABLED CONDITION (the condition as compact JSON).\n";

}  // namespace

std::vector<Command> schedule_commands() {
  return {
      {"schedule add", "NAME (--cron EXPR | --condition JSON) [--disabled]", "Adds a schedule that starts a job.",
       kAddDetails, condition_specs(), 1, 1, add},
      {"schedule delete", "NAME UUID", "Deletes a schedule.", "", {}, 2, 2, remove},
      {"schedule update", "NAME UUID [--cron EXPR | --condition JSON] [--enabled|--disabled]", "Changes a schedule.",
       kUpdateDetails, condition_specs(), 2, 2, update},
      {"schedule get", "NAME UUID", "Prints a schedule as JSON.", "", {}, 2, 2, get},
      {"schedule ls", "[NAME]", "Lists every schedule, or a job's.", kLsDetails, {}, 0, 1, ls},
      {"schedule log",
       "NAME UUID",
       "Lists when a schedule last started its job (local times), newest first.",
       "",
       {},
       2,
       2,
       log},
  };
}

}  // namespace backendctl
