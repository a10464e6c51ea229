// The /metrics text is built on the thread pool, one scrape at a time: a
// scrape asked while one is built gets the next, never an older text.
#include "worker/listener/metrics.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "shm/job_table.h"
#include "tests/unit/shm/test_segment.h"

namespace backend::worker {
namespace {

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() : seg_("metrics") { uv_loop_init(&loop_); }
  ~MetricsTest() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  uv_loop_t loop_;
  shm::testing::ScopedSegment seg_;
  CommandTable commands_;
};

TEST_F(MetricsTest, ScrapesAskedWhileOneIsBuiltGetTheNextOne) {
  auto slot = seg_.seg.table().put("web", "{}", 20);
  ASSERT_TRUE(slot);
  seg_.seg.table().mark_started(*slot, getpid(), 1, 1, 0, shm::StartReason::kManual);
  // The count of clients is read on the loop as each build begins.
  size_t builds = 0;
  Metrics metrics(&loop_, seg_.seg, commands_, [&] { return ++builds; }, 8);
  std::vector<std::string> got(3);
  for (size_t i = 0; i < got.size(); ++i) metrics.scrape([&got, i](std::string text) { got[i] = std::move(text); });
  EXPECT_EQ(builds, 1u);
  EXPECT_TRUE(got[0].empty()) << "built on the pool, not at once";
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(builds, 2u) << "the two asked during the first build share the second";
  EXPECT_NE(got[0].find("\nbackend_api_connections 1\n"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("\nbackend_api_connections 2\n"), std::string::npos) << got[1];
  EXPECT_EQ(got[1], got[2]);
  EXPECT_NE(got[0].find("\nbackend_job_up{name=\"web\"} 1\n"), std::string::npos) << got[0];
  EXPECT_NE(got[0].find("\nbackend_job_resident_memory_bytes{name=\"web\"} "), std::string::npos)
      << "the job's /proc, read on the pool";
  // Asked again once all is answered: a build of its own.
  std::string last;
  metrics.scrape([&](std::string text) { last = std::move(text); });
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(builds, 3u);
  EXPECT_NE(last.find("\nbackend_api_connections 3\n"), std::string::npos);
}

}  // namespace
}  // namespace backend::worker
