#include "master/held_jobs.h"

#include <unistd.h>

#include <sstream>

namespace backend::master {

HeldJobs::~HeldJobs() {
  for (auto& [pid, e] : held_)
    for (int fd : e.fds) close(fd);
}

void HeldJobs::release(pid_t pid) {
  auto it = held_.find(pid);
  if (it == held_.end()) return;
  for (int fd : it->second.fds) close(fd);
  held_.erase(it);
}

void HeldJobs::on_message(const std::string& text, std::vector<int>& fds,
                          std::deque<worker::Control::Outgoing>& out) {
  std::istringstream in(text);
  std::string verb;
  in >> verb;
  if (verb == "HOLD") {
    pid_t pid = 0;
    Entry e;
    in >> pid >> e.slot >> e.ticks;
    if (pid <= 0) return;
    release(pid);  // a reused pid: the old entry is stale
    e.fds = fds;
    for (int& fd : fds) fd = -1;
    held_[pid] = std::move(e);
  } else if (verb == "RELEASE") {
    pid_t pid = 0;
    in >> pid;
    release(pid);
  } else if (verb == "TAKE") {
    // Addressed to the asking supervisor: a dead one's unread answer must
    // not be taken by the next one as its own.
    std::string to;
    in >> to;
    for (const auto& [pid, e] : held_) {
      std::string state = e.exited ? "exited " + std::to_string(e.status) : "running";
      out.push_back({"HELD " + to + " " + std::to_string(pid) + " " + std::to_string(e.slot) + " " +
                         std::to_string(e.ticks) + " " + state,
                     worker::duplicate_fds(e.fds)});
    }
    out.push_back({"TAKEN " + to, {}});
  }
}

const HeldJobs::Entry* HeldJobs::reaped(pid_t pid, int status) {
  auto it = held_.find(pid);
  if (it == held_.end()) return nullptr;
  it->second.exited = true;
  it->second.status = status;
  return &it->second;
}

}  // namespace backend::master
