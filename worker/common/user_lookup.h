// A user by name, with its groups, looked up where NSS may run: never in a
// forked child. Jobs switch to their `user`, the listener to listener_user.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace backend::worker {

struct Identity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, the primary group among them
};

// Error sentence ("there is no user ...") when there is no such user.
std::optional<std::string> resolve_identity(const std::string& name, Identity& out);

}  // namespace backend::worker
