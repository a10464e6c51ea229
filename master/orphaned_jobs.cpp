#include "master/orphaned_jobs.h"

#include <optional>

#include "shm/job_table.h"
#include "shm/segment.h"
#include "worker/common/proc_info.h"

namespace backend::master {

std::vector<OrphanedJob> find_orphaned_jobs(const std::string& shm_name) {
  std::vector<OrphanedJob> found;
  if (shm::Segment::live_owner(shm_name)) return found;  // not ours to read: the start is refused
  std::optional<shm::Segment> old;
  try {
    old.emplace(shm::Segment::attach(shm_name, true));
  } catch (const shm::SegmentError&) {
    return found;
  }
  old->table().for_each([&](const shm::JobInfo& info, const std::string&) {
    if (info.pid <= 0 || info.state == shm::JobState::kDown) return;
    bool alive = worker::same_process(info.pid, info.start_ticks) && !worker::is_zombie(info.pid);
    found.push_back({info.name, info.pid, info.start_ticks, alive});
  });
  return found;
}

}  // namespace backend::master
