// Resident memory of processes, from /proc.
#pragma once

#include <optional>
#include <sys/types.h>

namespace backend::worker {

// VmRSS of pid in kB; nullopt when the process is gone.
std::optional<long> rss_kb(pid_t pid);

}  // namespace backend::worker
