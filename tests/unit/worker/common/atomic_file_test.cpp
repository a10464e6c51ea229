#include "worker/common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

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

// Pieces go out in order, empty ones too, more of them than one writev
// takes.
TEST(AtomicFile, WriteAllWritesPiecesInOrder) {
  TempDir d;
  std::string path = d.path + "/pieces";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::vector<std::string> texts;
  std::string want;
  for (int i = 0; i < 300; ++i) {
    texts.push_back(i % 7 == 0 ? "" : std::to_string(i) + std::string(i * 37 % 5000, 'p') + ",");
    want += texts.back();
  }
  std::vector<std::string_view> pieces(texts.begin(), texts.end());
  EXPECT_TRUE(write_all(fd, pieces));
  close(fd);
  std::string error;
  EXPECT_TRUE(read_file(path, error) == want);
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

// A log file is appended to; anything else where one belongs is refused at
// once, a FIFO whether or not a reader holds it open.
TEST(AtomicFile, OnlyARegularFileIsOpenedToAppendTo) {
  TempDir d;
  std::string error;
  std::string file = d.path + "/a.log";
  for (const char* text : {"one\n", "two\n"}) {
    int fd = open_append_file(file, error);
    ASSERT_GE(fd, 0) << error;
    ASSERT_TRUE(write_all(fd, std::string_view(text)));
    close(fd);
  }
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 8);

  std::string fifo = d.path + "/fifo.log";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(open_append_file(fifo, error), -1);
  EXPECT_EQ(error, std::strerror(ENXIO)) << "no reader: refused, not waited for";
  int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  EXPECT_EQ(open_append_file(fifo, error), -1);
  EXPECT_EQ(error, "it is not a regular file");
  close(reader);
  EXPECT_EQ(open_append_file(d.path, error), -1) << "a folder";
}

}  // namespace
}  // namespace backend::worker
