// A Jobs on a loop of the test's own, with a segment and a log folder of
// its own: for the tests of the run lifecycle (jobs_test.cpp) and of the
// takeover (takeover_test.cpp). Nothing reaps for it: a test calls
// jobs().reap() where a supervisor's SIGCHLD would.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <uv.h>

#include "shm/job_table.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/shm/test_segment.h"
#include "worker/supervisor/jobs.h"

namespace backend::worker::testing {

class JobsOnALoop : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

  explicit JobsOnALoop(const char* tag) : seg_(tag) { uv_loop_init(&loop_); }
  ~JobsOnALoop() override {
    if (jobs_) jobs_->close_handles();
    uv_run(&loop_, UV_RUN_NOWAIT);
    jobs_.reset();
    uv_walk(&loop_, [](uv_handle_t* h, void*) {
      if (!uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  Jobs& jobs() {
    if (!jobs_) jobs_.emplace(&loop_, seg_.seg, dir_.path, std::map<std::string, std::string>{});
    return *jobs_;
  }
  shm::JobInfo info(uint32_t slot) {
    shm::JobInfo i;
    seg_.seg.table().read(slot, i);
    return i;
  }
  // Runs the loop until `done` or `limit` has passed.
  template <class Done>
  void run_until(Done done, std::chrono::milliseconds limit) {
    uv_timer_t tick;
    uv_timer_init(&loop_, &tick);
    auto until = Clock::now() + limit;
    while (!done() && Clock::now() < until) {
      uv_timer_start(&tick, [](uv_timer_t*) {}, 10, 0);
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }

  shm::testing::ScopedSegment seg_;
  ::backend::testing::TempDir dir_;
  uv_loop_t loop_;
  std::optional<Jobs> jobs_;
};

}  // namespace backend::worker::testing
