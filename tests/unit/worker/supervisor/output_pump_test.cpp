// The output pump's catch-up after a supervisor was killed: what its
// predecessor left of the job's log file, counted or not, ends up with
// every line once.
#include "worker/supervisor/output_pump.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "shm/job_table.h"
#include "shm/ring.h"
#include "tests/support/server_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/shm/test_segment.h"
#include "worker/supervisor/run.h"

namespace backend::worker {
namespace {

using backend::testing::TempDir;

class CatchUp : public ::testing::Test {
 protected:
  CatchUp() : seg_("catch-up") {
    uv_loop_init(&loop_);
    slot_ = *seg_.seg.table().put("j", R"({"command":"/bin/true","writelog":true})", 20);
    for (int i = 0; i < 6; ++i) {
      lines_.push_back("[26-12-04 16:00:0" + std::to_string(i) + "] line " + std::to_string(i));
      seg_.seg.job_ring(slot_).append(lines_.back(), false);
    }
    path_ = dir_.path + "/jobs/j/20261204/2026120416.log";
    run_.name = "j";
    run_.slot = slot_;
    run_.settings.writelog = true;
  }
  ~CatchUp() override { uv_loop_close(&loop_); }

  // The predecessor's file: lines [0, counted) written and counted, then
  // a write of lines [counted, ...) begun, of which `cut_text` reached the
  // file before the kill.
  void predecessor_left(uint64_t counted, const std::string& cut_text, bool intent_recorded = true) {
    std::string before;
    for (uint64_t i = 0; i < counted; ++i) before += lines_[i] + "\n";
    std::filesystem::create_directories(dir_.path + "/jobs/j/20261204");
    std::ofstream(path_) << before << cut_text;
    std::atomic<uint64_t>* logged = seg_.seg.table().log_progress(slot_);
    logged[0] = counted;
    logged[1] = counted;
    shm::LogIntent& intent = seg_.seg.table().log_intent(slot_)[0];
    intent.first = intent_recorded ? counted : shm::kNoLogIntent;
    intent.bytes_before = before.size();
  }
  std::string caught_up() {
    {
      OutputPump pump(&loop_, seg_.seg, dir_.path);
      pump.catch_up_logs(run_);
      pump.close_logs();
      uv_run(&loop_, UV_RUN_DEFAULT);
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    return itest::read_file(path_).value_or("");
  }
  std::string all_lines() const {
    std::string all;
    for (const auto& l : lines_) all += l + "\n";
    return all;
  }

  shm::testing::ScopedSegment seg_;
  TempDir dir_{"catch-up"};
  uv_loop_t loop_;
  uint32_t slot_ = 0;
  std::vector<std::string> lines_;
  std::string path_;
  worker::Run run_;
};

TEST_F(CatchUp, AWriteCutMidLineIsUndoneAndEveryLineLoggedOnce) {
  predecessor_left(2, lines_[2] + "\n" + lines_[3].substr(0, 7));
  EXPECT_EQ(caught_up(), all_lines());
}

TEST_F(CatchUp, AWholeWriteNotYetCountedIsNotLoggedTwice) {
  predecessor_left(2, lines_[2] + "\n" + lines_[3] + "\n");
  EXPECT_EQ(caught_up(), all_lines());
}

TEST_F(CatchUp, NothingWrittenPastTheCountIsLeftAsItIs) {
  predecessor_left(3, "");
  EXPECT_EQ(caught_up(), all_lines());
}

// A write whose record is from before the count (that write was done and
// counted) cuts nothing.
TEST_F(CatchUp, ARecordOfACountedWriteCutsNothing) {
  predecessor_left(4, "");
  seg_.seg.table().log_intent(slot_)[0].first = 1;
  seg_.seg.table().log_intent(slot_)[0].bytes_before = 0;
  EXPECT_EQ(caught_up(), all_lines());
}

}  // namespace
}  // namespace backend::worker
