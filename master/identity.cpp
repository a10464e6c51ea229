#include "master/identity.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace backend::master {
namespace {

std::string failed(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::optional<std::string> resolve_owner(const std::string& spec, uid_t& uid, gid_t& gid) {
  size_t colon = spec.find(':');
  Identity user;
  if (auto err = worker::resolve_identity(spec.substr(0, colon), user)) return err;
  uid = user.uid;
  gid = user.gid;
  if (colon == std::string::npos) return std::nullopt;
  std::string name = spec.substr(colon + 1);
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found); rc != 0)
    return "cannot look up group \"" + name + "\": " + std::strerror(rc);
  if (!found) return "there is no group \"" + name + "\"";
  gid = gr.gr_gid;
  return std::nullopt;
}

std::optional<std::string> become(const Identity& who) {
  if (setgroups(who.groups.size(), who.groups.data()) != 0) return failed("cannot set the groups of " + who.name);
  if (setgid(who.gid) != 0) return failed("cannot set group " + std::to_string(who.gid));
  if (setuid(who.uid) != 0) return failed("cannot become user " + who.name);
  if (who.uid != 0 && (setuid(0) == 0 || geteuid() == 0)) return "root could be regained after becoming " + who.name;
  return std::nullopt;
}

std::optional<std::string> check_enterable(const std::string& dir, const Identity& who) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return failed("cannot stat " + dir);
  mode_t bit = S_IXOTH;
  if (st.st_uid == who.uid)
    bit = S_IXUSR;
  else if (st.st_gid == who.gid || std::find(who.groups.begin(), who.groups.end(), st.st_gid) != who.groups.end())
    bit = S_IXGRP;
  if (st.st_mode & bit) return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "user " + who.name + " may not enter " + dir + " (mode " + mode + ")";
}

}  // namespace backend::master
