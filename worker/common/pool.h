// File work off the loop: runs `work` on libuv's thread pool, then `after`
// on the loop's thread. The loop stays alive until `after` has run.
#pragma once

#include <functional>

#include <uv.h>

namespace backend::worker {

void run_in_pool(uv_loop_t* loop, std::function<void()> work, std::function<void()> after);

}  // namespace backend::worker
