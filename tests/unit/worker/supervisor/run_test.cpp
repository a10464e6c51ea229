#include "worker/supervisor/run.h"

#include <gtest/gtest.h>

namespace backend::worker {
namespace {

std::unique_ptr<worker::Run> run_of(const std::string& name, pid_t pid) {
  auto run = std::make_unique<worker::Run>();
  run->name = name;
  run->pid = pid;
  return run;
}

TEST(Runs, TheLastRunOfEachJobByNameAndTheLiveOnesByPid) {
  Runs runs;
  EXPECT_EQ(runs.put(run_of("a", 10)), nullptr);
  worker::Run* a = runs.current("a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(runs.running("a"));
  EXPECT_EQ(runs.watched(10), nullptr) << "watched only once its exit is to come";
  runs.watch(*a);
  EXPECT_EQ(runs.watched(10), a);
  a->exited = true;
  EXPECT_FALSE(runs.running("a"));
  EXPECT_TRUE(runs.all_exited());

  // A new run of the job hands the last one back, for retiring.
  std::unique_ptr<worker::Run> old = runs.put(run_of("a", 11));
  ASSERT_EQ(old.get(), a);
  EXPECT_EQ(runs.current("a")->pid, 11);
  EXPECT_FALSE(runs.all_exited());
  runs.unwatch(*old);
  EXPECT_EQ(runs.watched(10), nullptr);
}

TEST(Runs, UnwatchLeavesAReusedPidToItsNewRun) {
  Runs runs;
  runs.put(run_of("a", 10));
  runs.put(run_of("b", 10));  // the pid was reused by b's run
  worker::Run* a = runs.current("a");
  worker::Run* b = runs.current("b");
  runs.watch(*a);
  runs.watch(*b);
  runs.unwatch(*a);
  EXPECT_EQ(runs.watched(10), b);
}

TEST(Runs, TakeAndAll) {
  Runs runs;
  runs.put(run_of("a", 1));
  runs.put(run_of("b", 2));
  EXPECT_EQ(runs.all().size(), 2u);
  auto b = runs.take("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name, "b");
  EXPECT_EQ(runs.take("b"), nullptr);
  EXPECT_EQ(runs.current("b"), nullptr);
  EXPECT_EQ(runs.all().size(), 1u);
}

}  // namespace
}  // namespace backend::worker
