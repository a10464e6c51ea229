#include "worker/common/background_log_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "tests/support/log_files.h"
#include "tests/support/temp_dir.h"
#include "worker/common/log.h"
#include "worker/common/log_relay.h"

namespace backend::worker {
namespace {

namespace fs = std::filesystem;
using backend::testing::all_logs;
using backend::testing::TempDir;

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// The sum of the counts in the "N lines ... were dropped" notes.
uint64_t dropped_in_notes(const std::string& text) {
  const std::string note = " lines of the server log were dropped";
  uint64_t sum = 0;
  for (size_t at = text.find(note); at != std::string::npos; at = text.find(note, at + 1)) {
    size_t start = text.rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    sum += std::stoull(text.substr(start, at - start));
  }
  return sum;
}

std::shared_ptr<spdlog::logger> logger_for(std::shared_ptr<BackgroundLogSink> sink) {
  sink->set_pattern("%v");
  return std::make_shared<spdlog::logger>("test", std::move(sink));
}

TEST(BackgroundLogSink, WritesEveryLineInOrderIntoTheHourFile) {
  TempDir d;
  auto sink = std::make_shared<BackgroundLogSink>(d.path, -1);
  auto log = logger_for(sink);
  for (int i = 0; i < 2000; ++i) log->info("line {}", i);
  log->flush();
  std::string text = all_logs(d.path);
  std::string expected;
  for (int i = 0; i < 2000; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(text, expected);
  EXPECT_EQ(sink->dropped(), 0u);
}

// A copy fd that nobody reads (a foreground terminal, a full pipe) stalls
// the writer thread, never the caller: lines beyond the bound are dropped,
// counted, and the count is written once the writer catches up.
// A loop's lines wait for the loop's turn to end; another thread's do not.
TEST(BackgroundLogSink, DeferredLinesWaitForTheWakeAndOtherThreadsDoNot) {
  TempDir d;
  auto sink = std::make_shared<BackgroundLogSink>(d.path, -1);
  auto log = logger_for(sink);
  log->info("before");
  log->flush();  // the writer runs and sleeps
  sink->defer_wakes_on_this_thread();
  log->info("held");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(all_logs(d.path), "before\n") << "a deferred line woke the writer";
  sink->wake_writer();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (all_logs(d.path) != "before\nheld\n" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(all_logs(d.path), "before\nheld\n");
  std::thread([&] { log->info("other"); }).join();
  while (all_logs(d.path) != "before\nheld\nother\n" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(all_logs(d.path), "before\nheld\nother\n") << "another thread's line waited";
  log->info("flushed");
  log->flush();  // an exit's flush writes what is held
  EXPECT_EQ(all_logs(d.path), "before\nheld\nother\nflushed\n");
}

TEST(BackgroundLogSink, NeverBlocksTheCallerOnACopyNobodyReads) {
  TempDir d;
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  fcntl(p[1], F_SETPIPE_SZ, 4096);
  auto sink = std::make_shared<BackgroundLogSink>(d.path, p[1], 64 << 10);
  auto log = logger_for(sink);
  std::string pad(90, 'x');
  auto logging = std::async(std::launch::async, [&] {
    for (int i = 0; i < 10000; ++i) log->info("{} {}", pad, i);
  });
  bool returned = logging.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  // Drain the pipe whatever happened, so that nothing stays stuck on it.
  std::thread reader([fd = p[0]] {
    char buf[65536];
    while (read(fd, buf, sizeof buf) > 0) {
    }
  });
  EXPECT_TRUE(returned) << "logging blocked on the unread copy";
  logging.wait();
  // Once the writer has caught up (the pipe is being read now), a line is
  // taken again, after a note of how many were dropped.
  log->flush();
  uint64_t dropped = sink->dropped();
  EXPECT_GT(dropped, 0u) << "1 MB cannot fit a 64 KiB queue and a 4 KiB pipe";
  log->info("after");
  log->flush();
  std::string text = all_logs(d.path);
  EXPECT_EQ(dropped_in_notes(text), dropped);
  EXPECT_EQ(count(text, pad), 10000 - dropped);
  EXPECT_EQ(text.substr(text.size() - 6), "after\n");
  close(p[1]);
  reader.join();
  close(p[0]);
}

// The master forks its workers after logging has begun: with the writer
// ended first, a child writes its own lines once, never the parent's again,
// and the parent's next line starts a writer anew.
TEST(BackgroundLogSink, AForkedChildWritesOnlyItsOwnLines) {
  TempDir d;
  auto sink = std::make_shared<BackgroundLogSink>(d.path, -1);
  auto log = logger_for(sink);
  for (int i = 0; i < 100; ++i) log->info("parent before {}", i);
  sink->before_fork();
  EXPECT_EQ(count(all_logs(d.path), "parent before "), 100u) << "before_fork writes what is queued";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    log->info("child line");
    log->flush();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  log->info("parent after");
  log->flush();
  std::string text = all_logs(d.path);
  EXPECT_EQ(count(text, "parent before "), 100u);
  EXPECT_EQ(count(text, "parent before 99\n"), 1u);
  EXPECT_EQ(count(text, "child line\n"), 1u);
  EXPECT_EQ(count(text, "parent after\n"), 1u);
}

TEST(BackgroundLogSink, ReopenStartsANewFileAfterARotation) {
  TempDir d;
  std::string dir = d.path + "/server";
  auto sink = std::make_shared<BackgroundLogSink>(dir, -1);
  auto log = logger_for(sink);
  log->info("old");
  log->flush();
  fs::rename(dir, d.path + "/rotated");
  sink->reopen();
  log->info("new");
  log->flush();
  EXPECT_EQ(all_logs(d.path + "/rotated"), "old\n");
  EXPECT_EQ(all_logs(dir), "new\n");
}

// The listener's lines go through a pipe to the master, whose sink writes
// them to the hour's file: the listener creates no file, and a relayed
// line is not copied to the master's terminal a second time.
TEST(BackgroundLogSink, ForwardedLinesReachTheFileThroughTheOtherSink) {
  TempDir listener_dir, master_dir;
  int p[2], copy[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(copy, O_CLOEXEC | O_NONBLOCK), 0);
  auto listener = std::make_shared<BackgroundLogSink>(listener_dir.path, -1);
  listener->forward_to(p[1]);
  auto master = std::make_shared<BackgroundLogSink>(master_dir.path, copy[1]);
  auto log = logger_for(listener);
  for (int i = 0; i < 500; ++i) log->info("relayed {}", i);
  log->flush();
  close(p[1]);
  RelayReader reader;
  char buf[4096];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;)
    reader.feed(std::string_view(buf, static_cast<size_t>(n)),
                [&](std::string_view hour, std::string_view text) {
                  EXPECT_EQ(hour.size(), 10u);
                  master->append_formatted(std::string(hour), std::string(text));
                });
  close(p[0]);
  logger_for(master)->info("own line");
  master->flush();
  std::string text = all_logs(master_dir.path);
  EXPECT_EQ(count(text, "relayed "), 500u);
  EXPECT_EQ(count(text, "relayed 499\n"), 1u);
  EXPECT_LT(text.find("relayed 0\n"), text.find("relayed 1\n"));
  EXPECT_EQ(all_logs(listener_dir.path), "") << "the listener's sink made a file";
  ssize_t n = read(copy[0], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))), "own line\n");
  close(copy[0]);
  close(copy[1]);
}

// A relayed record is a whole batch of the listener's lines: dropped for
// want of room, it counts as every line in it.
TEST(BackgroundLogSink, ARelayedBatchThatDoesNotFitCountsAsEveryLineInIt) {
  TempDir d;
  auto sink = std::make_shared<BackgroundLogSink>(d.path, -1, 64);
  sink->append_formatted("2026112513", std::string(40, 'a') + "\n" + std::string(40, 'b') + "\nc\n");
  EXPECT_EQ(sink->dropped(), 3u);
  sink->append_formatted("2026112513", "fits\n");
  sink->flush();
  EXPECT_EQ(all_logs(d.path), "fits\n");
}

}  // namespace
}  // namespace backend::worker
