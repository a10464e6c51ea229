// The `"detail": true` form of STATUS and STATUSALL (PROTOCOL.md,
// extensions): what `backendctl ls` shows of a job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shm/job_table.h"
#include "shm/run_history.h"

namespace backend::worker {

// Appends {"state", "pid", "started", "uptime", "restarts", "last_exit",
// "mem", "reason", "cpu", "backoff"} for the job as of `now` (Unix
// seconds): cpu is its share of a core at the last usage sample (null when
// not known), backoff the seconds the guarder still waits; and "history"
// when given: its last runs, newest first, each with why it began, how it
// ended and its last lines of output then.
void append_job_detail(std::string& out, const shm::JobInfo& info, int64_t now,
                       const std::vector<shm::RunRecord>* history = nullptr, std::optional<double> cpu = {});
void append_job_history(std::string& out, const std::vector<shm::RunRecord>& runs);

}  // namespace backend::worker
