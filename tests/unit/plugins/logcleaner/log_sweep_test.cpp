#include "plugins/logcleaner/log_sweep.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::logcleaner {
namespace {

constexpr time_t kNow = 1'800'000'000;
constexpr time_t kDay = 86400;

// A file last modified `age` seconds before kNow.
void file(const std::string& path, time_t age) {
  ASSERT_TRUE(worker::make_dirs(path.substr(0, path.rfind('/'))));
  ASSERT_TRUE(worker::replace_file(path, "line\n") == std::nullopt);
  timespec times[2] = {{kNow - age, 0}, {kNow - age, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

TEST(LogSweep, RemovesOldFilesThenTheFoldersLeftEmpty) {
  testing::TempDir dir;
  std::string root = dir.path + "/log";
  file(root + "/jobs/a/20260101/2026010100.log", 30 * kDay);
  file(root + "/jobs/a/20260101/2026010100.error.log", 30 * kDay);
  file(root + "/jobs/a/20260120/2026012000.log", 2 * kDay);
  file(root + "/jobs/b/20260101/2026010100.log", 30 * kDay);
  file(root + "/server/20260101/2026010100.log", 8 * kDay);
  file(root + "/server/20260124/2026012400.log", 0);
  SweepResult r = sweep_logs(root, kNow - 7 * kDay);
  EXPECT_EQ(r.files_removed, 4u);
  EXPECT_EQ(r.bytes_removed, 4 * std::string("line\n").size());
  EXPECT_EQ(r.errors, 0u) << r.first_error;
  EXPECT_FALSE(exists(root + "/jobs/a/20260101"));
  EXPECT_TRUE(exists(root + "/jobs/a/20260120/2026012000.log"));
  EXPECT_FALSE(exists(root + "/jobs/b"));  // its only day went, then the job's folder
  EXPECT_FALSE(exists(root + "/server/20260101"));
  EXPECT_TRUE(exists(root + "/server/20260124/2026012400.log"));
  EXPECT_EQ(r.folders_removed, 4u);  // a/20260101, b/20260101, b, server/20260101
  EXPECT_TRUE(exists(root));
}

TEST(LogSweep, NamesBeginningWithTwoUnderscoresAreLeftAlone) {
  testing::TempDir dir;
  std::string root = dir.path + "/log";
  file(root + "/jobs/a/20260101/__keep.log", 30 * kDay);
  file(root + "/jobs/__archive/20260101/2026010100.log", 30 * kDay);
  file(root + "/jobs/a/20260101/2026010100.log", 30 * kDay);
  SweepResult r = sweep_logs(root, kNow - 7 * kDay);
  EXPECT_EQ(r.files_removed, 1u);
  EXPECT_TRUE(exists(root + "/jobs/a/20260101/__keep.log"));
  EXPECT_TRUE(exists(root + "/jobs/__archive/20260101/2026010100.log"));
}

TEST(LogSweep, SymbolicLinksAreNeitherFollowedNorRemoved) {
  testing::TempDir dir;
  std::string root = dir.path + "/log", outside = dir.path + "/outside";
  file(outside + "/precious.log", 30 * kDay);
  file(root + "/jobs/a/20260101/2026010100.log", 30 * kDay);
  ASSERT_EQ(symlink(outside.c_str(), (root + "/jobs/link").c_str()), 0);
  ASSERT_EQ(symlink((outside + "/precious.log").c_str(), (root + "/jobs/a/file-link.log").c_str()), 0);
  SweepResult r = sweep_logs(root, kNow - 7 * kDay);
  EXPECT_EQ(r.files_removed, 1u);
  EXPECT_TRUE(exists(outside + "/precious.log"));
  EXPECT_TRUE(exists(root + "/jobs/link"));
  EXPECT_TRUE(exists(root + "/jobs/a/file-link.log"));
}

TEST(LogSweep, AMissingRootIsNoError) {
  testing::TempDir dir;
  SweepResult r = sweep_logs(dir.path + "/none", kNow);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.files_removed, 0u);
}

}  // namespace
}  // namespace backend::plugins::logcleaner
