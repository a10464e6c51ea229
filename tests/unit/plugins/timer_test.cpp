#include "plugins/timer.h"

#include <thread>

#include <gtest/gtest.h>

#include "worker/common/pool.h"

namespace backend::plugins {
namespace {

TEST(PluginTimer, FiresRepeatsAndStopsWhenClosed) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int fired = 0;
  {
    Timer t(&loop);
    t.start(1, [&] {
      if (++fired == 3) t.close();
    }, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  EXPECT_EQ(fired, 3);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(PluginTimer, CanBeReArmedFromItsOwnCallback) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int fired = 0;
  Timer t(&loop);
  std::function<void()> again = [&] {
    if (++fired < 4) t.start(1, again);
  };
  t.start(1, again);
  uv_run(&loop, UV_RUN_DEFAULT);  // ends once the timer is no longer armed
  EXPECT_EQ(fired, 4);
  EXPECT_FALSE(t.active());
  t.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(PluginPool, WorkRunsOffTheLoopThenAfterRunsOnIt) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  auto loop_thread = std::this_thread::get_id();
  std::thread::id work_thread, after_thread;
  worker::run_in_pool(&loop, [&] { work_thread = std::this_thread::get_id(); },
              [&] { after_thread = std::this_thread::get_id(); });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_NE(work_thread, loop_thread);
  EXPECT_EQ(after_thread, loop_thread);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace backend::plugins
