#include "globals.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "args.h"

namespace backendctl {
namespace {

const std::vector<OptionSpec>& global_specs() {
  static const std::vector<OptionSpec> specs = {
      {"host", 'H', true}, {"port", 'p', true}, {"user", 'u', true}, {"timeout", 0, true}, {"version", 0, false},
  };
  return specs;
}

uint16_t parse_port(std::string_view what, std::string_view text) {
  return static_cast<uint16_t>(parse_int(what, text, 1, 65535));
}

std::chrono::milliseconds parse_timeout(const std::string& text) {
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  // Above a day it is surely a mistake, and the milliseconds stay far from overflow.
  if (text.empty() || *end != '\0' || !std::isfinite(seconds) || seconds <= 0 || seconds > 86400)
    throw UsageError("--timeout must be a number of seconds above 0 (at most 86400), not \"" + text + "\"");
  return std::chrono::milliseconds(std::max<int64_t>(1, std::llround(seconds * 1000)));
}

void apply_env(GlobalOptions& g, const EnvLookup& env) {
  if (const char* h = env("BACKEND_HOST"); h && *h) g.host = h;
  if (const char* p = env("BACKEND_PORT"); p && *p) g.port = parse_port("BACKEND_PORT", p);
  if (const char* u = env("BACKEND_USER"); u && *u) g.user = u;
}

}  // namespace

GlobalOptions parse_globals(const std::vector<std::string>& args, const EnvLookup& env) {
  GlobalOptions g;
  apply_env(g, env);
  ParsedArgs parsed = parse_args(args, global_specs(), StopAt::kPositional);
  for (const auto& o : parsed.options) {
    if (o.name == "host") {
      if (o.value.empty()) throw UsageError("--host must not be empty");
      g.host = o.value;
    } else if (o.name == "port") {
      g.port = parse_port("--port", o.value);
    } else if (o.name == "user") {
      if (o.value.empty()) throw UsageError("--user must not be empty");
      g.user = o.value;
    } else if (o.name == "timeout") {
      g.timeout = parse_timeout(o.value);
    } else if (o.name == "version") {
      g.version = true;
    }
  }
  g.json = parsed.json;
  g.help = parsed.help;
  g.command = std::move(parsed.positionals);
  return g;
}

}  // namespace backendctl
