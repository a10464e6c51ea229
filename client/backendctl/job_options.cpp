#include "job_options.h"

#include <rapidjson/document.h>

#include <cstdint>

namespace backendctl {

using backend::client::Params;

const std::vector<OptionSpec>& job_option_specs() {
  static const std::vector<OptionSpec> specs = {
      {"params", 0, true},     {"writelog", 0, false},     {"no-writelog", 0, false}, {"buffersize", 0, true},
      {"autostart", 0, false}, {"no-autostart", 0, false}, {"guard", 0, false},       {"no-guard", 0, false},
      {"env", 0, true},        {"cwd", 0, true},           {"run-as", 0, true},       {"interpreter", 0, true},
      {"stopsignal", 0, true}, {"stoptimeout", 0, true},   {"set", 0, true},
  };
  return specs;
}

const std::string_view kJobOptionsHelp =
    "Job options:\n"
    "  --params ARGS           the program's arguments, one string that the server\n"
    "                          splits as a shell would (quotes honoured, no shell)\n"
    "  --writelog, --no-writelog\n"
    "                          also write the output to log files (default: no)\n"
    "  --buffersize N          output lines kept for `read`, 1..10000 (default 20)\n"
    "  --autostart, --no-autostart\n"
    "                          start the job when the server starts (default: no)\n"
    "  --guard, --no-guard     restart the job when it exits unasked (default: no)\n"
    "  --env KEY=VALUE         an environment variable, repeatable; all of them\n"
    "                          together replace the job's environment additions\n"
    "  --cwd DIR               working directory (default: the program's folder)\n"
    "  --run-as USER           run the job as USER (a server running as root only);\n"
    "                          not the same as the global --user, which authenticates\n"
    "  --interpreter PROG      the program that runs COMMAND (.php: php)\n"
    "  --stopsignal SIG        the signal `stop` sends first (default TERM)\n"
    "  --stoptimeout SECS      then SIGKILL after SECS seconds (default 10)\n"
    "  --set KEY=VALUE         any other setting; VALUE is JSON when it parses as JSON,\n"
    "                          else a string\n";

void set_key_value(Params& params, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("expected KEY=VALUE, not \"" + assignment + "\"");
  std::string key = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError())
    params.set(key, text);
  else
    params.set(key, static_cast<const rapidjson::Value&>(doc));
}

namespace {

void add_env(Params& env, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("--env wants KEY=VALUE, not \"" + assignment + "\"");
  env.set(assignment.substr(0, eq), assignment.substr(eq + 1));
}

}  // namespace

Params job_settings(const ParsedArgs& args) {
  Params out;
  Params env;
  bool has_env = false;
  for (const auto& o : args.options) {
    const std::string& n = o.name;
    if (n == "params" || n == "cwd" || n == "interpreter" || n == "stopsignal") {
      out.set(n, o.value);
    } else if (n == "run-as") {
      out.set("user", o.value);
    } else if (n == "writelog" || n == "autostart" || n == "guard") {
      out.set(n, true);
    } else if (n.starts_with("no-")) {
      out.set(n.substr(3), false);
    } else if (n == "buffersize") {
      out.set(n, parse_int("--buffersize", o.value, 1, 10000));
    } else if (n == "stoptimeout") {
      out.set(n, parse_int("--stoptimeout", o.value, 0, INT32_MAX));
    } else if (n == "env") {
      add_env(env, o.value);
      has_env = true;
    } else if (n == "set") {
      set_key_value(out, o.value);
    }
  }
  if (has_env) out.set("env", env);
  return out;
}

}  // namespace backendctl
