#include "plugins/auth/privileges.h"

#include <algorithm>

#include "protocol/request.h"

namespace backend::plugins::auth {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string bad_name(std::string_view name) {
  return "privileges: \"" + std::string(name) +
         "\" is not a command name (use \"*\" or a comma list like \"START,STOP\")";
}

}  // namespace

std::optional<Privileges> parse_privileges(std::string_view text, std::string& error) {
  Privileges out;
  if (trim(text) == "*") {
    out.all = true;
    return out;
  }
  if (trim(text).empty()) {
    error = "privileges must be \"*\" or a comma list of command names like \"START,STOP\"";
    return std::nullopt;
  }
  for (;;) {
    size_t comma = text.find(',');
    std::string_view name = trim(text.substr(0, comma));
    if (!protocol::is_command_name(name)) {
      error = bad_name(name);
      return std::nullopt;
    }
    if (std::find(out.commands.begin(), out.commands.end(), name) == out.commands.end())
      out.commands.emplace_back(name);
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

std::string format_privileges(const Privileges& privileges) {
  if (privileges.all) return "*";
  std::string out;
  for (const auto& name : privileges.commands) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

bool allows(const Privileges& privileges, std::string_view command) {
  return privileges.all || std::find(privileges.commands.begin(), privileges.commands.end(),
                                     command) != privileges.commands.end();
}

}  // namespace backend::plugins::auth
