#include "worker/common/user_lookup.h"

#include <grp.h>
#include <pwd.h>

#include <cstring>

namespace backend::worker {

std::optional<std::string> resolve_identity(const std::string& name, Identity& out) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0) return "cannot look up user \"" + name + "\": " + std::strerror(rc);
  if (!found) return "there is no user \"" + name + "\"";
  out.name = name;
  out.uid = pw.pw_uid;
  out.gid = pw.pw_gid;
  int count = 32;
  out.groups.resize(static_cast<size_t>(count));
  while (getgrouplist(name.c_str(), out.gid, out.groups.data(), &count) < 0) out.groups.resize(static_cast<size_t>(count));
  out.groups.resize(static_cast<size_t>(count));
  return std::nullopt;
}

}  // namespace backend::worker
