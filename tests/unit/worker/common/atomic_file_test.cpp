#include "worker/common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <dirent.h>

#include "tests/support/temp_dir.h"

namespace backend::worker {
namespace {

using backend::testing::TempDir;

int entries(const std::string& dir) {
  int n = 0;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

TEST(AtomicFile, ReplacesWholeAndLeavesNoTemporary) {
  TempDir d;
  std::string path = d.path + "/f.json";
  ASSERT_FALSE(replace_file(path, "first"));
  ASSERT_FALSE(replace_file(path, "second, longer"));
  std::string err;
  EXPECT_EQ(read_file(path, err).value_or("?"), "second, longer");
  EXPECT_EQ(err, "");
  EXPECT_EQ(entries(d.path), 1);
}

TEST(AtomicFile, AFailedRenameKeepsTheOldFileAndSaysWhy) {
  TempDir d;
  std::string path = d.path + "/target";
  mkdir(path.c_str(), 0700);  // a folder in the way: rename onto it fails for root too
  mkdir((path + "/x").c_str(), 0700);
  auto err = replace_file(path, "new");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("rename"), std::string::npos) << *err;
  EXPECT_EQ(entries(d.path), 1);  // the temporary was cleaned up
}

TEST(AtomicFile, ReadingAMissingFileIsNoError) {
  TempDir d;
  std::string err;
  EXPECT_FALSE(read_file(d.path + "/none", err));
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace backend::worker
