// The output pump's catch-up after a supervisor was killed: what its
// predecessor left of the job's log file, counted or not, ends up with
// every line once. And how it reads a pipe: held back while the log queue
// is full, let go of when it ends.
#include "worker/supervisor/output_pump.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "shm/job_table.h"
#include "shm/ring.h"
#include "tests/support/server_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/shm/test_segment.h"
#include "worker/common/log.h"
#include "worker/supervisor/output_capture.h"
#include "worker/supervisor/run.h"

namespace backend::worker {
namespace {

using backend::testing::TempDir;

// Whether an epoll set of this process watches the file with inode `ino`:
// each watched fd is a "tfd:" line of the set's fdinfo, its inode in hex.
bool watched_by_an_epoll_set(ino_t ino) {
  char want[32];
  std::snprintf(want, sizeof want, " ino:%lx ", static_cast<unsigned long>(ino));
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(e.path(), ec).string() != "anon_inode:[eventpoll]") continue;
    std::string info = itest::read_file("/proc/self/fdinfo/" + e.path().filename().string()).value_or("");
    std::istringstream in(info);
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("tfd:") && (line + " ").find(want) != std::string::npos) return true;
  }
  return false;
}

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

// A job that writes while the log queue is full (a batch being written,
// kBacklogBytes waiting) is left in its pipe until there is room, then read
// on: the job waits instead of the queue growing, nothing waits for good,
// and the log holds every line once, in order.
TEST_F(CatchUp, AStreamReadWhileTheLogQueueIsFullWaitsThenLosesNoLine) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  constexpr int kLines = 200000;  // 14 MB of 70-byte lines
  std::atomic<bool> wrote_all{false};
  std::thread writer([fd = fds[1], &wrote_all] {
    std::string chunk;
    for (int i = 0; i < kLines; ++i) {
      std::string n = std::to_string(i);
      chunk += std::string(69 - n.size(), '0') + n + "\n";
      if (chunk.size() > 60000 || i == kLines - 1) {
        for (size_t done = 0; done < chunk.size();) {
          ssize_t w = write(fd, chunk.data() + done, chunk.size() - done);
          if (w <= 0) return;
          done += size_t(w);
        }
        chunk.clear();
      }
    }
    wrote_all = true;
    close(fd);
  });
  // Every thread of libuv's pool kept busy until `go`: the log writer's
  // batch waits behind them, so the queue stays full for as long as this
  // test wants, however fast the disk is.
  std::atomic<bool> go{false};
  std::vector<uv_work_t> blockers(64);
  for (auto& b : blockers) {
    b.data = &go;
    uv_queue_work(
        &loop_, &b,
        [](uv_work_t* r) {
          while (!static_cast<std::atomic<bool>*>(r->data)->load()) usleep(1000);
        },
        [](uv_work_t*, int) {});
  }
  std::string expected;
  {
    OutputPump pump(&loop_, seg_.seg, dir_.path);
    // Lines of the server's own, more than the queue holds: a batch is in
    // flight and the queue is full.
    const std::string big(60000, 'r');
    auto level = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);  // record() says each line in the server's log too
    const size_t records = (LogWriter::kBacklogBytes + LogWriter::kFlushBytes) / big.size() + 1;
    for (size_t i = 0; i < records; ++i) {
      pump.record(run_, big);
      expected += big + "\n";
    }
    spdlog::set_level(level);
    pump.open(run_, fds[0], -1, std::make_shared<Stage>(create_stage()));
    // The pump's timers keep no loop alive (in the supervisor other handles
    // do): without this one, a stream paused between reads would never be
    // read again here.
    uv_timer_t keep;
    uv_timer_init(&loop_, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 0);
    for (int n = 0; n < 300; ++n) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(1000);
    }
    EXPECT_TRUE(run_.reading() && !wrote_all) << "the job was read to its end while the log queue was full";
    go = true;
    for (int n = 0; n < 20000 && run_.reading(); ++n) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(1000);
    }
    EXPECT_FALSE(run_.reading()) << "the pipe was never read to its end";
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    pump.close(run_);
    pump.close_logs();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  writer.join();
  for (int i = 0; i < kLines; ++i) {
    std::string n = std::to_string(i);
    expected += std::string(69 - n.size(), '0') + n + "\n";
  }
  // Each line after its time prefix.
  std::string got;
  std::vector<std::string> files;  // an hour's file each, should the hour turn
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path + "/jobs/j"))
    if (e.path().string().ends_with(".log") && !e.path().string().ends_with(".error.log"))
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::string text;
  for (const auto& f : files) text += itest::read_file(f).value_or("");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) got += line.substr(line.find("] ") + 2) + "\n";
  EXPECT_TRUE(got == expected) << "the log has " << got.size() << " bytes of " << expected.size();
}

// The master holds a copy of every job's pipe: a stream that ends must stop
// polling the pipe before its fd closes, or the copy keeps the pipe in the
// loop's epoll set, ready at end of file on every turn, for a freed stream.
TEST_F(CatchUp, APipeTheMasterStillHoldsLeavesThePollSetWhenItsStreamEnds) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const int master_copy = fcntl(fds[0], F_DUPFD_CLOEXEC, 3);
  ASSERT_GE(master_copy, 0);
  struct stat st {};
  ASSERT_EQ(fstat(master_copy, &st), 0);
  // More than a trickle (OutputPump::kTrickleBytes), so that the stream is
  // not paused, out of the set, when its end comes; less than a pipe holds.
  std::string text;
  for (int i = 0; text.size() < OutputPump::kTrickleBytes + 1000; ++i) text += "line " + std::to_string(i) + "\n";
  ASSERT_LT(text.size(), 65536u);
  ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  const std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  {
    OutputPump pump(&loop_, seg_.seg, dir_.path);
    uv_timer_t keep;  // the pump keeps no loop alive (see above)
    uv_timer_init(&loop_, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 0);
    pump.open(run_, fds[0], -1, std::make_shared<Stage>(create_stage()));
    uv_run(&loop_, UV_RUN_NOWAIT);  // libuv adds a polled fd to its set at the next turn
    EXPECT_TRUE(watched_by_an_epoll_set(st.st_ino)) << "an open stream's pipe is not watched";
    close(fds[1]);  // the job's end: the stream reads to end of file
    for (int n = 0; n < 2000 && run_.reading(); ++n) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(1000);
    }
    EXPECT_FALSE(run_.reading()) << "the stream did not end with its pipe";
    for (int n = 0; n < 20; ++n) uv_run(&loop_, UV_RUN_NOWAIT);
    EXPECT_FALSE(watched_by_an_epoll_set(st.st_ino)) << "the ended stream's pipe is still watched";
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    pump.close_logs();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  close(master_copy);
  auto lines = seg_.seg.job_ring(slot_).last(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text.substr(lines[0].text.find("] ") + 2) + "\n", last);
}

}  // namespace
}  // namespace backend::worker
