#include "plugins/serial_queue.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace backend::plugins {
namespace {

TEST(SerialQueue, NextJobWaitsForThePreviousToFinish) {
  SerialQueue queue;
  std::vector<std::string> log;
  SerialQueue::Finished first_done;
  queue.push([&](SerialQueue::Finished f) {
    log.push_back("first");
    first_done = std::move(f);
  });
  queue.push([&](SerialQueue::Finished f) {
    log.push_back("second");
    f();
  });
  EXPECT_EQ(log, std::vector<std::string>{"first"});
  EXPECT_TRUE(queue.busy());
  first_done();
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second"}));
  EXPECT_FALSE(queue.busy());
}

TEST(SerialQueue, JobsFinishingAtOnceDoNotNest) {
  SerialQueue queue;
  int depth = 0, max_depth = 0, runs = 0;
  SerialQueue::Job job = [&](SerialQueue::Finished f) {
    max_depth = std::max(max_depth, ++depth);
    ++runs;
    f();
    --depth;
  };
  SerialQueue::Finished hold;
  queue.push([&](SerialQueue::Finished f) { hold = std::move(f); });
  for (int i = 0; i < 10000; ++i) queue.push(job);
  hold();
  EXPECT_EQ(runs, 10000);
  EXPECT_EQ(max_depth, 1);
}

TEST(SerialQueue, AJobPushedFromAJobRunsAfterIt) {
  SerialQueue queue;
  std::vector<int> order;
  queue.push([&](SerialQueue::Finished f) {
    queue.push([&](SerialQueue::Finished g) {
      order.push_back(2);
      g();
    });
    order.push_back(1);
    f();
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace backend::plugins
