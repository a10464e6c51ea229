#include "master/held_jobs.h"

#include <sstream>

#include "master/now_ms.h"
#include "master/orphan_pipe.h"
#include "worker/common/log.h"
#include "worker/common/proc_info.h"

namespace backend::master {

HeldJobs::~HeldJobs() {
  for (auto& [pid, e] : held_) worker::close_fds(e.fds);
  drop_prepared();
}

void HeldJobs::release(pid_t pid) {
  auto it = held_.find(pid);
  if (it == held_.end()) return;
  worker::close_fds(it->second.fds);
  held_.erase(it);
}

void HeldJobs::unprepare(uint32_t slot) {
  auto it = prepared_.find(slot);
  if (it == prepared_.end()) return;
  worker::close_fds(it->second);
  prepared_.erase(it);
}

void HeldJobs::drop_prepared() {
  for (auto& [slot, fds] : prepared_) worker::close_fds(fds);
  prepared_.clear();
}

// Pipes lent by a supervisor that died before it said which pid took them:
// the job, if it was spawned, is now our child and writes to them (once
// it has exec'd: a spawn cut short by its parent's death may still be on
// its way there).
void HeldJobs::find_prepared() {
  for (auto it = prepared_.begin(); it != prepared_.end();) {
    pid_t pid = it->second.empty() ? 0 : child_writing_to(it->second[0]);
    if (pid <= 0 || held_.count(pid)) {
      ++it;
      continue;
    }
    spdlog::warn("a job (pid {}) was being started when its supervisor died; found by its pipes", pid);
    held_[pid] = Entry{it->first, worker::start_ticks(pid).value_or(0), std::move(it->second), false, 0, {}};
    it = prepared_.erase(it);
  }
}

void HeldJobs::retry_take(std::deque<worker::Control::Outgoing>& out) {
  if (take_to_.empty()) return;
  find_prepared();
  if (!prepared_.empty() && now_ms() < take_deadline_ms_) return;
  drop_prepared();
  for (const auto& [pid, e] : held_) {
    if (!e.orphan.empty()) {
      out.push_back({"ORPHAN " + take_to_ + " " + std::to_string(pid) + " " + std::to_string(e.ticks) + " " +
                         (e.exited ? "gone " : "running ") + e.orphan,
                     {}});
      continue;
    }
    std::string state = e.exited ? "exited " + std::to_string(e.status) : "running";
    out.push_back({"HELD " + take_to_ + " " + std::to_string(pid) + " " + std::to_string(e.slot) + " " +
                       std::to_string(e.ticks) + " " + state,
                   worker::duplicate_fds(e.fds)});
  }
  out.push_back({"TAKEN " + take_to_, {}});
  take_to_.clear();
}

void HeldJobs::on_message(const std::string& text, std::vector<int>& fds,
                          std::deque<worker::Control::Outgoing>& out) {
  std::istringstream in(text);
  std::string verb;
  in >> verb;
  if (verb == "PREPARE") {
    uint32_t slot = 0;
    if (!(in >> slot)) return;
    unprepare(slot);
    prepared_[slot] = fds;
    for (int& fd : fds) fd = -1;
  } else if (verb == "UNPREPARE") {
    uint32_t slot = 0;
    if (in >> slot) unprepare(slot);
  } else if (verb == "HOLD") {
    pid_t pid = 0;
    Entry e;
    in >> pid >> e.slot >> e.ticks;
    if (pid <= 0) return;
    release(pid);  // a reused pid: the old entry is stale
    if (auto it = prepared_.find(e.slot); fds.empty() && it != prepared_.end()) {
      e.fds = std::move(it->second);
      prepared_.erase(it);
    } else {
      e.fds = fds;
      for (int& fd : fds) fd = -1;
    }
    held_[pid] = std::move(e);
  } else if (verb == "RELEASE") {
    pid_t pid = 0;
    in >> pid;
    release(pid);
  } else if (verb == "TAKE") {
    // Addressed to the asking supervisor: a dead one's unread answer must
    // not be taken by the next one as its own. Answered once every lent
    // pipe has its job, or none came within the grace period.
    in >> take_to_;
    take_deadline_ms_ = now_ms() + kPreparedGraceMs;
    retry_take(out);
  }
}

void HeldJobs::add_orphan(const OrphanedJob& job) {
  Entry e;
  e.ticks = job.ticks;
  e.exited = !job.alive;
  e.status = -1;
  e.orphan = job.name;
  held_[job.pid] = std::move(e);
}

const HeldJobs::Entry* HeldJobs::reaped(pid_t pid, int status) {
  auto it = held_.find(pid);
  if (it == held_.end()) return nullptr;
  it->second.exited = true;
  it->second.status = status;
  return &it->second;
}

}  // namespace backend::master
