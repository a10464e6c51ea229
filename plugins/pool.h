// File work off the loop, for plugins: the workers' thread pool helper
// (worker/pool.h), which the supervisor uses as well.
#pragma once

#include "worker/pool.h"

namespace backend::plugins {

using worker::run_in_pool;

}  // namespace backend::plugins
