// What a user may run: "*" (everything) or a comma list of command names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backend::plugins::auth {

struct Privileges {
  bool all = false;
  std::vector<std::string> commands;  // when not all
};

// "*", or names like "START,STOP" (spaces around a name are dropped, as a
// hand-written list has them). Anything else, an empty list included, is
// nullopt with the error sentence set.
std::optional<Privileges> parse_privileges(std::string_view text, std::string& error);

// The normalised form stored and returned: "*" or "START,STOP".
std::string format_privileges(const Privileges& privileges);

// command is the name as the client sent it ("STATUSALL", "AUTH.ADD").
bool allows(const Privileges& privileges, std::string_view command);

}  // namespace backend::plugins::auth
