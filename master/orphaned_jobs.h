// Jobs a server killed outright (all of its processes at once) left
// running. Its shared memory outlives it: before the next start replaces
// the segment, the jobs its table shows up are read from it, and each is
// checked to be the same process still (same pid, same start time).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace backend::master {

struct OrphanedJob {
  std::string name;
  pid_t pid = 0;
  uint64_t ticks = 0;  // its start time, in clock ticks after boot
  bool alive = false;  // false: it has died since, or its pid is another's
};

// Empty when there is no leftover segment, it is a live server's, or its
// layout is not this build's.
std::vector<OrphanedJob> find_orphaned_jobs(const std::string& shm_name);

}  // namespace backend::master
