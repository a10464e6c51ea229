// The runs the schedules will start over the next hours, soonest first
// (SCHEDULER.NEXTRUNS, the dashboard's timeline).
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <vector>

#include "plugins/scheduler/schedule_store.h"

namespace backend::plugins::scheduler {

struct PlannedRun {
  time_t at;
  std::string job;
  std::string uuid;
};

// Every run of an enabled schedule due after `from` and at most at `until`,
// soonest first, at most `max` of them: merged a run at a time, so a
// schedule that runs every minute costs no more than the runs returned.
std::vector<PlannedRun> next_runs(const Schedules& all, time_t from, time_t until, size_t max);

// [{"jobname","uuid","at"}, ...]
std::string planned_runs_json(const std::vector<PlannedRun>& runs);

}  // namespace backend::plugins::scheduler
