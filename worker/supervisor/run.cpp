#include "worker/supervisor/run.h"

namespace backend::worker {

Run* Runs::current(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

bool Runs::running(const std::string& name) const {
  Run* run = current(name);
  return run && !run->exited;
}

Run* Runs::watched(pid_t pid) const {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : it->second;
}

void Runs::unwatch(const Run& run) {
  if (auto it = by_pid_.find(run.pid); it != by_pid_.end() && it->second == &run) by_pid_.erase(it);
}

std::unique_ptr<Run> Runs::put(std::unique_ptr<Run> run) {
  std::unique_ptr<Run>& place = by_name_[run->name];
  return std::exchange(place, std::move(run));
}

std::unique_ptr<Run> Runs::take(const std::string& name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  std::unique_ptr<Run> run = std::move(it->second);
  by_name_.erase(it);
  return run;
}

std::vector<Run*> Runs::all() const {
  std::vector<Run*> out;
  out.reserve(by_name_.size());
  for (const auto& [name, run] : by_name_) out.push_back(run.get());
  return out;
}

bool Runs::all_exited() const {
  for (const auto& [name, run] : by_name_)
    if (!run->exited) return false;
  return true;
}

}  // namespace backend::worker
