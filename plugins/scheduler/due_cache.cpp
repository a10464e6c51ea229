#include "plugins/scheduler/due_cache.h"

#include "plugins/scheduler/next_due.h"

namespace backend::plugins::scheduler {

DueCache::DueCache(Compute compute) : compute_(compute ? std::move(compute) : Compute(next_due)) {}

std::optional<time_t> DueCache::next(const Key& key, const Condition& c, time_t from) {
  auto it = dues_.find(key);
  if (it != dues_.end() && it->second.from == from && it->second.condition == c) return it->second.at;
  std::optional<time_t> at = compute_(c, from);
  dues_.insert_or_assign(key, Due{c, from, at});
  return at;
}

// Only an instant known to lie after `to` carries over: "never" may not be
// never any more, counted from later.
void DueCache::advanced(const Key& key, time_t to) {
  auto it = dues_.find(key);
  if (it == dues_.end()) return;
  if (it->second.at && *it->second.at > to && it->second.from <= to)
    it->second.from = to;
  else
    dues_.erase(it);
}

void DueCache::keep_only(const std::string& job, const std::function<bool(const Key&)>& keep) {
  for (auto it = dues_.lower_bound({job, {}}); it != dues_.end() && it->first.first == job;)
    it = keep(it->first) ? std::next(it) : dues_.erase(it);
}

}  // namespace backend::plugins::scheduler
