// The answer to a logexplorer request. Blocking file work: runs on the
// thread pool.
#pragma once

#include <cstdint>
#include <string>

#include "plugins/logexplorer/request.h"
#include "plugins/plugin.h"

namespace backend::plugins::logexplorer {

// A folder that does not exist yet (a job that never wrote a log, a server
// that never did) lists as [] with LISTDIR: nothing has been logged is an
// answer, not a failure. A day folder or file that was asked for by name
// and is missing is FAILED.
Reply answer(const Request& request, const std::string& log_dir, uint64_t max_bytes);

}  // namespace backend::plugins::logexplorer
