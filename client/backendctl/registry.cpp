#include <algorithm>
#include <functional>
#include <utility>

#include "commands.h"

namespace backendctl {
namespace {

struct Section {
  std::string_view title;
  std::vector<Command> (*commands)();
};

constexpr Section kSections[] = {
    {"Jobs", job_commands},
    {"Status", status_commands},
    {"Output", output_commands},
    {"Server", server_commands},
    {"Auth plugin", auth_commands},
    {"Log explorer plugin", logs_commands},
    {"Scheduler plugin", schedule_commands},
    {"Cluster", cluster_commands},
};

constexpr std::string_view kGroups[] = {"server", "auth", "logs", "schedule", "cluster"};

std::string first_word(std::string_view name) { return std::string(name.substr(0, name.find(' '))); }

// "  name synopsis   summary", the summary on a line of its own when the
// left part is too wide to leave it room.
std::string list_entry(const Command& c) {
  constexpr size_t kColumn = 38;
  std::string left = "  " + std::string(c.name);
  if (!c.synopsis.empty()) left += " " + std::string(c.synopsis);
  if (left.size() + 2 <= kColumn) return left + std::string(kColumn - left.size(), ' ') + std::string(c.summary) + "\n";
  return left + "\n" + std::string(kColumn, ' ') + std::string(c.summary) + "\n";
}

}  // namespace

const std::vector<Command>& all_commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> v;
    for (const auto& s : kSections)
      for (auto& c : s.commands()) v.push_back(std::move(c));
    return v;
  }();
  return all;
}

const Command* find_command(std::string_view name) {
  for (const auto& c : all_commands())
    if (c.name == name || (!c.alias.empty() && c.alias == name)) return &c;
  return nullptr;
}

bool is_group(std::string_view word) {
  return std::find(std::begin(kGroups), std::end(kGroups), word) != std::end(kGroups);
}

std::string usage_line(const Command& c) {
  std::string line = "Usage: backendctl [GLOBAL OPTIONS] " + std::string(c.name);
  if (!c.synopsis.empty()) line += " " + std::string(c.synopsis);
  return line;
}

std::string command_help(const Command& c) {
  std::string out = usage_line(c) + "\n\n" + std::string(c.summary) + "\n";
  if (!c.alias.empty()) out += "Also called \"" + std::string(c.alias) + "\".\n";
  if (!c.details.empty()) out += "\n" + std::string(c.details);
  out += "\nGlobal options (see backendctl --help) come before the command; --json may also follow it.\n";
  return out;
}

std::string group_help(std::string_view group) {
  std::string out = "Usage: backendctl [GLOBAL OPTIONS] " + std::string(group) + " COMMAND [ARGS]\n\nCommands:\n";
  for (const auto& c : all_commands())
    if (first_word(c.name) == group) out += list_entry(c);
  out += "\nbackendctl " + std::string(group) + " COMMAND --help describes one of them.\n";
  return out;
}

std::string main_help() {
  std::string out =
      "backendctl: control a backend-server over its TCP API.\n"
      "\n"
      "Usage: backendctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
      "       backendctl COMMAND --help\n";
  for (const auto& s : kSections) {
    out += "\n" + std::string(s.title) + ":\n";
    for (const auto& c : s.commands()) out += list_entry(c);
  }
  out +=
      "\n"
      "Global options (before the command):\n"
      "  -H, --host HOST     server address (default: BACKEND_HOST, else 127.0.0.1)\n"
      "  -p, --port PORT     server port (default: BACKEND_PORT, else 13123)\n"
      "  -u, --user USER     authenticate as USER (default: BACKEND_USER); the password\n"
      "                      is BACKEND_PASSWORD, else typed at a prompt when stdin is\n"
      "                      a terminal; it is never given on the command line\n"
      "      --timeout SECS  give up on a call after SECS seconds (default 60)\n"
      "      --json          print each reply exactly as received, one per line\n"
      "                      (also accepted after the command)\n"
      "  -h, --help          this help\n"
      "      --version       the version\n"
      "\n"
      "Environment:\n"
      "  BACKEND_HOST, BACKEND_PORT, BACKEND_USER   defaults of --host, --port, --user\n"
      "  BACKEND_PASSWORD       the password of the --user\n"
      "  BACKEND_NEW_PASSWORD   the password `auth add` and `auth update --password-prompt`\n"
      "                         store (else they ask for it twice on the terminal)\n"
      "  NO_COLOR               no colour even on a terminal (else only on a terminal)\n"
      "\n"
      "Exit status:\n"
      "  0   OK\n"
      "  1   FAILED: the server refused (the reason follows on stderr)\n"
      "  2   DENIED: the auth plugin refused\n"
      "  3   UNKNOWN: the server knows no such command\n"
      "  4   no usable reply: no connection, a timeout, or a reply of the wrong shape\n"
      "  64  usage error\n"
      "  70  internal error\n";
  return out;
}

}  // namespace backendctl
