#include "master/held_jobs.h"

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
  if (!take_to_) return;
  find_prepared();
  if (!prepared_.empty() && now_ms() < take_deadline_ms_) return;
  drop_prepared();
  for (const auto& [pid, e] : held_) {
    if (!e.orphan.empty())
      out.emplace_back(worker::Orphan{take_to_, pid, e.ticks, !e.exited, e.orphan});
    else
      out.emplace_back(worker::Held{take_to_, pid, e.slot, e.ticks, e.exited, e.exited ? e.status : 0}, e.fds);
  }
  out.emplace_back(worker::Taken{take_to_});
  take_to_ = 0;
}

void HeldJobs::on_message(const worker::ControlMessage& message, std::vector<int>& fds,
                          std::deque<worker::Control::Outgoing>& out) {
  if (auto* m = std::get_if<worker::Prepare>(&message)) return on(*m, fds);
  if (auto* m = std::get_if<worker::Unprepare>(&message)) return unprepare(m->slot);
  if (auto* m = std::get_if<worker::Hold>(&message)) return on(*m, fds);
  if (auto* m = std::get_if<worker::Release>(&message)) return release(m->pid);
  if (auto* m = std::get_if<worker::Take>(&message)) return on(*m, out);
  if (auto* m = std::get_if<worker::Exit>(&message)) return (void)reaped(m->pid, m->status);
  spdlog::warn("control message \"{}\" is not the master's to handle", worker::encode(message));
}

void HeldJobs::on(const worker::Prepare& m, std::vector<int>& fds) {
  unprepare(m.slot);
  prepared_[m.slot] = fds;
  for (int& fd : fds) fd = -1;
}

void HeldJobs::on(const worker::Hold& m, std::vector<int>& fds) {
  release(m.pid);  // a reused pid: the old entry is stale
  Entry e;
  e.slot = m.slot;
  e.ticks = m.ticks;
  if (auto it = prepared_.find(e.slot); fds.empty() && it != prepared_.end()) {
    e.fds = std::move(it->second);
    prepared_.erase(it);
  } else {
    e.fds = fds;
    for (int& fd : fds) fd = -1;
  }
  held_[m.pid] = std::move(e);
}

// Addressed to the asking supervisor: a dead one's unread answer must not
// be taken by the next one as its own. Answered once every lent pipe has
// its job, or none came within the grace period.
void HeldJobs::on(const worker::Take& m, std::deque<worker::Control::Outgoing>& out) {
  take_to_ = m.supervisor;
  take_deadline_ms_ = now_ms() + kPreparedGraceMs;
  retry_take(out);
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

std::vector<UpgradeState::Held> HeldJobs::hand_over() {
  find_prepared();
  drop_prepared();
  std::vector<UpgradeState::Held> all;
  for (auto& [pid, e] : held_)
    all.push_back({pid, e.slot, e.ticks, std::move(e.fds), e.exited, e.status, e.orphan});
  held_.clear();
  take_to_ = 0;
  return all;
}

void HeldJobs::take_over(std::vector<UpgradeState::Held> held) {
  for (UpgradeState::Held& h : held)
    held_[h.pid] = Entry{h.slot, h.ticks, std::move(h.fds), h.exited, h.status, std::move(h.orphan)};
}

}  // namespace backend::master
