#include "plugins/scheduler/next_runs.h"

#include <queue>

#include "plugins/scheduler/next_due.h"
#include "protocol/response.h"

namespace backend::plugins::scheduler {

std::vector<PlannedRun> next_runs(const Schedules& all, time_t from, time_t until, size_t max) {
  struct Next {
    time_t at;
    const std::string* job;
    const std::string* uuid;
    const Condition* condition;
    bool operator>(const Next& o) const {
      if (at != o.at) return at > o.at;
      if (*job != *o.job) return *job > *o.job;
      return *uuid > *o.uuid;
    }
  };
  std::priority_queue<Next, std::vector<Next>, std::greater<>> soonest;
  for (const auto& [job, schedules] : all)
    for (const auto& [uuid, s] : schedules) {
      if (!s.enable) continue;
      if (auto at = next_due(s.condition, from); at && *at <= until) soonest.push({*at, &job, &uuid, &s.condition});
    }
  std::vector<PlannedRun> runs;
  while (!soonest.empty() && runs.size() < max) {
    Next n = soonest.top();
    soonest.pop();
    runs.push_back({n.at, *n.job, *n.uuid});
    if (auto at = next_due(*n.condition, n.at); at && *at <= until) soonest.push({*at, n.job, n.uuid, n.condition});
  }
  return runs;
}

std::string planned_runs_json(const std::vector<PlannedRun>& runs) {
  std::string out = "[";
  for (const PlannedRun& r : runs) {
    if (out.size() > 1) out += ',';
    out += "{\"jobname\":";
    protocol::append_json_string(out, r.job);
    out += ",\"uuid\":";
    protocol::append_json_string(out, r.uuid);
    out += ",\"at\":" + std::to_string(static_cast<long long>(r.at)) + "}";
  }
  return out + "]";
}

}  // namespace backend::plugins::scheduler
