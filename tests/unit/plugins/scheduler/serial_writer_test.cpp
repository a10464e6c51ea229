#include "plugins/scheduler/serial_writer.h"

#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::scheduler {
namespace {

class SchedulerSerialWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
  }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  std::string read(const std::string& path) {
    std::string error;
    auto s = worker::read_file(path, error);
    return s ? *s : "<none>";
  }

  backend::testing::TempDir dir_{"sched-writer"};
  uv_loop_t loop_;
};

TEST_F(SchedulerSerialWriter, WritesInTheOrderAskedAndAnswersEach) {
  SerialWriter w(&loop_);
  std::string path = dir_.path + "/f.json";
  std::vector<int> done;
  for (int k = 0; k < 20; ++k) {
    w.write(path, std::to_string(k), [&, k](std::optional<std::string> error) {
      EXPECT_FALSE(error);
      // Each answer sees its own content or a newer one, never an older.
      EXPECT_GE(std::stoi(read(path)), k);
      done.push_back(k);
    });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_EQ(done.size(), 20u);
  for (int k = 0; k < 20; ++k) EXPECT_EQ(done[k], k);
  EXPECT_EQ(read(path), "19");
}

TEST_F(SchedulerSerialWriter, RemovesAndReportsErrors) {
  SerialWriter w(&loop_);
  std::string path = dir_.path + "/f.json";
  std::optional<std::string> write_error = "unset", remove_error = "unset", again = "unset", bad = std::nullopt;
  w.write(path, "x", [&](auto e) { write_error = e; });
  w.remove(path, [&](auto e) { remove_error = e; });
  w.remove(path, [&](auto e) { again = e; });  // already gone: fine
  w.write(dir_.path + "/no/such/folder/f.json", "x", [&](auto e) { bad = e; });
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_FALSE(write_error);
  EXPECT_FALSE(remove_error);
  EXPECT_FALSE(again);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->empty());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SchedulerSerialWriter, QueuedWritesStillLandAfterTheOwnerIsGone) {
  std::string path = dir_.path + "/f.json";
  bool called = false;
  {
    SerialWriter w(&loop_);
    w.write(path, "1", [&](auto) { called = true; });
    w.write(path, "2", [&](auto) { called = true; });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_FALSE(called);
  EXPECT_EQ(read(path), "2");
}

}  // namespace
}  // namespace backend::plugins::scheduler
