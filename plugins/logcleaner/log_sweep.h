// One pass of the log cleaner over a folder tree: removes regular files
// last modified before a time, then the folders left empty. A name that
// begins with "__" is left alone, and so is all that is under it; symbolic
// links are never followed (a link is not removed either: it is not a log).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace backend::plugins::logcleaner {

struct SweepResult {
  uint64_t files_removed = 0;
  uint64_t bytes_removed = 0;  // the removed files' sizes
  uint64_t folders_removed = 0;
  uint64_t errors = 0;
  std::string first_error;
};

// The root itself is kept even when it ends up empty.
SweepResult sweep_logs(const std::string& root, time_t older_than);

}  // namespace backend::plugins::logcleaner
