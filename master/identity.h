// The user the listener serves as once it has bound its socket: looked up
// by the master while it can still say why at start, taken on by the
// listener child before it serves anyone.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "worker/common/user_lookup.h"

namespace backend::master {

using worker::Identity;

// "user" or "user:group", as supervisord's chown= takes it: a group left
// out is the user's own. Error sentence when either does not exist.
std::optional<std::string> resolve_owner(const std::string& spec, uid_t& uid, gid_t& gid);

// Gives up root for good: groups, then group, then user. Afterwards root
// cannot be regained, which is checked. Error sentence on any failure.
std::optional<std::string> become(const Identity& who);

// Whether the user may enter the folder, by its mode bits (ACLs aside).
// Error sentence naming the folder and its mode when not.
std::optional<std::string> check_enterable(const std::string& dir, const Identity& who);

}  // namespace backend::master
