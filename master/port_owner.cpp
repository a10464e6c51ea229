#include "master/port_owner.h"

#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace backend::master {
namespace {

constexpr const char* kListenState = "0A";

// Inodes of sockets listening on the port, from one /proc/net table.
void listening_inodes(const char* table, uint16_t port, std::set<std::string>& out) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, local, remote, state, queues, timer, retr, uid, timeout, inode;
    f >> slot >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
    auto colon = local.rfind(':');
    if (colon == std::string::npos || state != kListenState) continue;
    if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port) out.insert(inode);
  }
}

bool holds_any(const std::string& pid, const std::set<std::string>& inodes) {
  std::string dir = "/proc/" + pid + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  char target[PATH_MAX];
  while (dirent* e = readdir(d)) {
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    std::string link(target, static_cast<size_t>(n));
    if (link.rfind("socket:[", 0) == 0 && inodes.count(link.substr(8, link.size() - 9))) {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

}  // namespace

std::optional<pid_t> port_owner(uint16_t port) {
  std::set<std::string> inodes;
  listening_inodes("/proc/net/tcp", port, inodes);
  listening_inodes("/proc/net/tcp6", port, inodes);
  if (inodes.empty()) return std::nullopt;
  std::optional<pid_t> best;
  DIR* proc = opendir("/proc");
  if (!proc) return std::nullopt;
  while (dirent* e = readdir(proc)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid == getpid()) continue;
    if ((!best || pid < *best) && holds_any(e->d_name, inodes)) best = static_cast<pid_t>(pid);
  }
  closedir(proc);
  return best;
}

}  // namespace backend::master
