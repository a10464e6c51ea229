#include "worker/supervisor/log_writer.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace backend::worker {
namespace {

using backend::testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the loop until the writer has nothing queued and no batch in flight.
void settle(uv_loop_t* loop, LogWriter& w) {
  for (int i = 0; i < 1000; ++i) {
    w.flush();
    uv_run(loop, UV_RUN_NOWAIT);
    if (w.queued_bytes() == 0 && uv_loop_alive(loop) == 0) return;
    usleep(1000);
  }
}

TEST(LogWriter, WritesEveryLineInOrderIntoFoldersItMakes) {
  TempDir d;
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    LogWriter w(&loop);
    std::string a = d.path + "/jobs/x/20261124/2026112415.log";
    std::string b = d.path + "/jobs/x/20261124/2026112415.error.log";
    std::string want_a, want_b;
    for (int i = 0; i < 10000; ++i) {
      std::string line = "line " + std::to_string(i) + "\n";
      w.append(a, line);
      want_a += line;
      if (i % 10 == 0) {
        w.append(b, "err " + line);
        want_b += "err " + line;
      }
      if (i % 997 == 0) uv_run(&loop, UV_RUN_NOWAIT);  // batches go out while lines keep coming
    }
    settle(&loop, w);
    EXPECT_EQ(slurp(a), want_a);
    EXPECT_EQ(slurp(b), want_b);
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Lines need no flush() to reach the file, and once they are written the
// writer does not wake the loop again every few milliseconds.
TEST(LogWriter, WritesOnItsOwnThenLetsTheLoopSleep) {
  TempDir d;
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    // The writer's timer never keeps a loop alive: in the supervisor other
    // handles do, as this one does here.
    uv_timer_t keep, end;
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 0);
    LogWriter w(&loop);
    std::string path = d.path + "/x.log";
    w.append(path, "one\n");
    for (int i = 0; i < 2000 && slurp(path) != "one\n"; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    ASSERT_EQ(slurp(path), "one\n");
    for (int i = 0; i < 20; ++i) {  // the batch's completion reaches the loop
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    // Wake-ups in 10 flush periods: a writer ticking all the time makes 10.
    bool ended = false;
    uv_timer_init(&loop, &end);
    end.data = &ended;
    uv_timer_start(&end, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 10 * LogWriter::kFlushMs, 0);
    int wakeups = 0;
    while (!ended) {
      uv_run(&loop, UV_RUN_ONCE);
      ++wakeups;
    }
    EXPECT_LE(wakeups, 2);
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&end), nullptr);
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(LogWriter, AppendsToWhatIsThere) {
  TempDir d;
  std::string path = d.path + "/f.log";
  std::ofstream(path) << "old\n";
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    LogWriter w(&loop);
    w.append(path, "new\n");
    settle(&loop, w);
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  EXPECT_EQ(slurp(path), "old\nnew\n");
}

// Before each write the writer records where it begins (shm::LogIntent):
// the first line it holds and the file's size, which a successor cuts the
// file back to if the write was cut; after it, the progress.
TEST(LogWriter, RecordsWhereAWriteBeginsBeforeItAndCountsItAfter) {
  TempDir d;
  std::string path = d.path + "/f.log";
  std::ofstream(path) << "old\n";
  std::atomic<uint64_t> progress{7};
  shm::LogIntent intent{};
  intent.first = shm::kNoLogIntent;
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    LogWriter w(&loop);
    std::string_view lines[] = {"seven", "eight"};
    w.append_lines(path, "", lines, {&progress, &intent, 7, 9});
    settle(&loop, w);
    EXPECT_EQ(intent.first.load(), 7u);
    EXPECT_EQ(intent.bytes_before.load(), 4u);
    EXPECT_EQ(progress.load(), 9u);
    // Cut back to where that write began, then written again: once.
    w.cut_back(path, intent.bytes_before.load());
    w.append_lines(path, "", lines, {&progress, &intent, 7, 9});
    settle(&loop, w);
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  EXPECT_EQ(slurp(path), "old\nseven\neight\n");
}

// While a batch is being written, the queue fills to kBacklogBytes and then
// says so (the output pump stops reading a logged job's pipe); once the
// batch is written, the rest goes out and on_room is called, and the file
// holds every byte in order.
TEST(LogWriter, AFullQueueSaysSoAndCallsBackWhenThereIsRoom) {
  TempDir d;
  std::string path = d.path + "/f.log";
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::string want;
  int rooms = 0;
  {
    LogWriter w(&loop);
    w.set_on_room([&] { ++rooms; });
    const std::string chunk(64 * 1024 - 1, 'x');
    int i = 0;
    // The loop is not run: the first batch, started at kFlushBytes, stays
    // in flight however fast the disk is.
    while (!w.full()) {
      std::string n = std::to_string(i++);  // numbered, so that a reordering shows
      std::string line = n + chunk.substr(n.size()) + "\n";
      w.append(path, line);
      want += line;
      ASSERT_LT(want.size(), 2 * (LogWriter::kBacklogBytes + LogWriter::kFlushBytes)) << "the queue never filled";
    }
    EXPECT_GE(want.size(), LogWriter::kBacklogBytes + LogWriter::kFlushBytes);
    EXPECT_EQ(rooms, 0);
    for (int n = 0; n < 2000 && rooms == 0; ++n) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    EXPECT_EQ(rooms, 1) << "on_room once the batch in flight was written";
    EXPECT_FALSE(w.full());
    settle(&loop, w);
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  EXPECT_TRUE(slurp(path) == want) << "the file differs from what was queued";
}

// A job writing as fast as it can: 48 MiB of lines in commits of a few
// thousand, batches written between them. Every line arrives, in order,
// and the chunks are refilled rather than made anew: no more are ever made
// than a full queue holds, however much passes through.
TEST(LogWriter, ABulkWriterRefillsItsChunks) {
  TempDir d;
  std::string path = d.path + "/bulk.log";
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::string want;
  {
    LogWriter w(&loop);
    std::vector<std::string> texts;
    std::vector<std::string_view> lines;
    uint64_t number = 0;
    while (want.size() < (48u << 20)) {
      texts.clear();
      for (int i = 0; i < 3000; ++i, ++number) texts.push_back("w " + std::to_string(number) + " " + std::string(number % 97, 'x'));
      lines.assign(texts.begin(), texts.end());
      w.append_lines(path, "[p] ", lines, {});
      for (const auto& t : texts) want += "[p] " + t + "\n";
      for (int n = 0; n < 100 && w.full(); ++n) {  // as the pump would: wait for room
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(1000);
      }
      uv_run(&loop, UV_RUN_NOWAIT);
    }
    settle(&loop, w);
    EXPECT_LE(w.chunks_made(), LogWriter::kSpareChunks + 1);
    EXPECT_GT(w.held_bytes(), LogWriter::kFlushBytes) << "written chunks are kept for the next burst";
    // A tick that finds nothing queued gives them back. The writer's timer
    // keeps no loop alive: in the supervisor other handles do, here this.
    uv_timer_t keep;
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 0);
    for (int n = 0; n < 2000 && w.held_bytes() > LogWriter::kFlushBytes; ++n) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    EXPECT_LE(w.held_bytes(), LogWriter::kFlushBytes);
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  EXPECT_TRUE(slurp(path) == want) << "the file differs from what was queued";
}

// Holds every thread of libuv's pool until released, so that work queued
// meanwhile waits, as a batch in a slow write does: blockers are queued
// until one does not start, which shows every thread taken.
class PoolHold {
 public:
  explicit PoolHold(uv_loop_t* loop) {
    for (;;) {
      auto* work = new uv_work_t;
      work->data = this;
      ++queued_;
      uv_queue_work(loop, work, block, [](uv_work_t* w, int) { delete w; });
      std::unique_lock lock(m_);
      if (!cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return started_ == queued_; })) return;
    }
  }
  // Waits for every blocker to be done with this object.
  ~PoolHold() {
    release();
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return finished_ == queued_; });
  }
  void release() {
    std::lock_guard lock(m_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  static void block(uv_work_t* w) {
    auto* self = static_cast<PoolHold*>(w->data);
    std::unique_lock lock(self->m_);
    ++self->started_;
    self->cv_.notify_all();
    self->cv_.wait(lock, [&] { return self->released_; });
    ++self->finished_;
    self->cv_.notify_all();
  }
  std::mutex m_;
  std::condition_variable cv_;
  int queued_ = 0, started_ = 0, finished_ = 0;
  bool released_ = false;
};

// A tick that comes while the last batch of a burst is being written finds
// nothing queued but the batch in flight, so it may not give the chunks
// back; the batch's end must then see to it, or they stay until files are
// closed, minutes later. The pool is held here, so that the batch is in
// flight over many ticks.
TEST(LogWriter, TheChunksOfABurstGoBackAfterALastBatchThatTicksCameDuring) {
  TempDir d;
  std::string path = d.path + "/late.log";
  std::vector<std::string> texts;
  std::string text;
  for (uint64_t n = 0; text.size() < 3 * LogWriter::kChunkBytes; ++n) {
    texts.push_back("line " + std::to_string(n) + " " + std::string(60, 'z'));
    text += texts.back() + "\n";
  }
  std::vector<std::string_view> lines(texts.begin(), texts.end());
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    LogWriter w(&loop);
    uv_timer_t keep;  // the writer's timer keeps no loop alive
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 0);
    PoolHold hold(&loop);
    w.append_lines(path, "", lines, {});  // in whole chunks, which are kept once written
    w.flush();
    ASSERT_EQ(w.queued_bytes(), 0u) << "the whole burst is one batch, waiting for the pool";
    // Ten ticks while it waits.
    for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(10 * LogWriter::kFlushMs);
         std::chrono::steady_clock::now() < until;) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    hold.release();
    // The batch's end hands its chunks back (while in flight they count
    // nowhere); then a tick must let them go.
    for (int n = 0; n < 5000 && w.held_bytes() <= LogWriter::kFlushBytes; ++n) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    ASSERT_GT(w.held_bytes(), LogWriter::kFlushBytes) << "the written chunks never came back";
    for (int n = 0; n < 1000 && w.held_bytes() > LogWriter::kFlushBytes; ++n) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    EXPECT_LE(w.held_bytes(), LogWriter::kFlushBytes) << "the chunks stay after the burst";
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  EXPECT_TRUE(slurp(path) == text) << "the file differs from what was queued";
}

// A FIFO where a log file belongs (put there by hand, say) is refused at
// once: opened for writing, it would wait for a reader, and every job's
// log with it.
TEST(LogWriter, AFifoWhereALogFileBelongsIsRefusedAndTheOthersAreWritten) {
  TempDir d;
  std::string fifo = d.path + "/fifo.log", file = d.path + "/file.log";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    LogWriter w(&loop);
    w.append(fifo, "lost\n");
    w.append(file, "kept\n");
    settle(&loop, w);
    EXPECT_EQ(uv_loop_alive(&loop), 0) << "the batch still waits on the FIFO";
    EXPECT_EQ(slurp(file), "kept\n");
    w.append(file, "and more\n");
    settle(&loop, w);
    EXPECT_EQ(slurp(file), "kept\nand more\n");
    // Frees a writer that waits on the FIFO all the same, so that the test
    // ends when it fails.
    int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    w.close();
    uv_run(&loop, UV_RUN_DEFAULT);
    if (reader >= 0) close(reader);
  }
  uv_loop_close(&loop);
}

// A hundred jobs printing a line each hold about their lines, not a
// chunk each.
TEST(LogWriter, AQuietFileHoldsLittle) {
  TempDir d;
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    LogWriter w(&loop);
    for (int i = 0; i < 100; ++i) w.append(d.path + "/j" + std::to_string(i) + ".log", std::string(69, 'q') + "\n");
    EXPECT_LE(w.held_bytes(), 100u * 128);
    settle(&loop, w);
    EXPECT_EQ(slurp(d.path + "/j42.log"), std::string(69, 'q') + "\n");
    w.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}

}  // namespace
}  // namespace backend::worker
