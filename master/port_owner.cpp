#include "master/port_owner.h"

#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <set>
#include <string>

#include "worker/common/atomic_file.h"

namespace backend::master {
namespace {

constexpr const char* kListenState = "0A";

// Inodes of sockets listening on the port, from one /proc/net table.
void listening_inodes(const char* table, uint16_t port, std::set<std::string>& out) {
  std::string error;
  std::optional<std::string> text = worker::read_file(table, error);
  if (!text) return;
  // Past the header, one socket a line: sl local_address rem_address st
  // tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
  for (size_t at = text->find('\n'); at != std::string::npos && at + 1 < text->size();) {
    size_t end = text->find('\n', at + 1);
    std::string line = text->substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
    at = end;
    char local[128], state[8];
    unsigned long long inode = 0;
    if (std::sscanf(line.c_str(), "%*s %127s %*s %7s %*s %*s %*s %*s %*s %llu", local, state, &inode) != 3) continue;
    const char* colon = std::strrchr(local, ':');
    if (!colon || std::string_view(state) != kListenState) continue;
    if (std::strtoul(colon + 1, nullptr, 16) == port) out.insert(std::to_string(inode));
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
