// The `"detail": true` form of STATUS and STATUSALL (PROTOCOL.md,
// extensions): what `backendctl ls` shows of a job.
#pragma once

#include <cstdint>
#include <string>

#include "shm/job_table.h"

namespace backend::worker {

// Appends {"state", "pid", "started", "uptime", "restarts", "last_exit",
// "mem"} for the job as of `now` (Unix seconds).
void append_job_detail(std::string& out, const shm::JobInfo& info, int64_t now);

}  // namespace backend::worker
