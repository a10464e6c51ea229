#include "cli.h"

#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "outcome.h"

#ifndef BACKENDCTL_VERSION
#define BACKENDCTL_VERSION "unknown"
#endif

namespace backendctl {
namespace {

constexpr int kExitInternal = 70;  // EX_SOFTWARE: a bug, not the user's or the server's doing

int usage_error(const std::string& message, const Command* c) {
  std::cerr << "backendctl: " << message << "\n";
  if (c)
    std::cerr << usage_line(*c) << "\nTry 'backendctl " << c->name << " --help'.\n";
  else
    std::cerr << "Usage: backendctl [GLOBAL OPTIONS] COMMAND [ARGS]\nTry 'backendctl --help'.\n";
  return kExitUsage;
}

void check_arg_count(const Command& c, const ParsedArgs& a) {
  if (a.positionals.size() < c.min_args) throw UsageError("too few arguments");
  if (a.positionals.size() > c.max_args) throw UsageError("unexpected argument \"" + a.positionals[c.max_args] + "\"");
}

int run_command(const Command& c, GlobalOptions g, const std::vector<std::string>& rest) {
  try {
    ParsedArgs a = parse_args(rest, c.options);
    if (a.help) {
      std::cout << command_help(c);
      return kExitOk;
    }
    check_arg_count(c, a);
    g.json = g.json || a.json;
    Context ctx(std::move(g));
    return c.run(ctx, a);
  } catch (const UsageError& e) {
    return usage_error(e.what(), &c);
  }
}

// A group word alone, or with --help, or with a verb it does not have.
int group_only(const std::string& group, const std::vector<std::string>& words) {
  if (words.size() > 1 && (words[1] == "-h" || words[1] == "--help")) {
    std::cout << group_help(group);
    return kExitOk;
  }
  std::cerr << "backendctl: "
            << (words.size() > 1 ? "unknown command \"" + group + " " + words[1] + "\"" : group + " needs a command")
            << "\n"
            << group_help(group);
  return kExitUsage;
}

int dispatch(GlobalOptions g) {
  const auto& words = g.command;
  if (words.empty()) return usage_error("no command given", nullptr);
  std::string name = words[0];
  size_t used = 1;
  if (is_group(name)) {
    if (words.size() < 2 || !find_command(name + " " + words[1])) return group_only(name, words);
    name += " " + words[1];
    used = 2;
  }
  const Command* c = find_command(name);
  if (!c) return usage_error("unknown command \"" + name + "\"", nullptr);
  std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(used), words.end());
  return run_command(*c, std::move(g), rest);
}

}  // namespace

int run_cli(const std::vector<std::string>& args) {
  try {
    GlobalOptions g;
    try {
      g = parse_globals(args, [](const char* name) { return std::getenv(name); });
    } catch (const UsageError& e) {
      return usage_error(e.what(), nullptr);
    }
    if (g.help) {
      std::cout << main_help();
      return kExitOk;
    }
    if (g.version) {
      std::cout << "backendctl " << BACKENDCTL_VERSION << "\n";
      return kExitOk;
    }
    return dispatch(std::move(g));
  } catch (const std::exception& e) {
    std::cerr << "backendctl: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace backendctl
