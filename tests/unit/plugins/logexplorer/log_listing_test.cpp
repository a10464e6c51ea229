#include "plugins/logexplorer/log_listing.h"

#include <string>
#include <vector>

#include <fcntl.h>

#include <gtest/gtest.h>

#include "plugins/logexplorer/log_paths.h"
#include "tests/unit/plugins/logexplorer/temp_logs.h"

namespace backend::plugins::logexplorer {
namespace {

using Names = std::vector<std::string>;

Names listed(const std::string& path, EntryKind kind) {
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(dir);
  std::string error;
  auto names = list_entries(dir.get(), kind, error);
  EXPECT_TRUE(names) << error;
  // The caller's descriptor is left open.
  EXPECT_NE(fcntl(dir.get(), F_GETFD), -1);
  return names.value_or(Names{});
}

class LogListing : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* day : {"20240102", "20231231", "20240110", "20240101"}) logs_.folder(day);
    logs_.folder(".hidden");
    logs_.file("notes.txt", "x");
    logs_.symlink(logs_.root(), "20991231");
    logs_.fifo("20990101");
    const char* files[] = {"2024010109.log", "2024010112.error.log", "2024010112.log",
                           "2024010100.log", ".2024010123.log"};
    for (const char* f : files) logs_.file(std::string("20240101/") + f, "x");
    logs_.folder("20240101/2024010113.log");
    logs_.symlink(logs_.at("notes.txt"), "20240101/2024010114.log");
    logs_.fifo("20240101/2024010115.log");
  }

  TempLogs logs_;
};

TEST_F(LogListing, DayFoldersNewestFirstWithoutFilesLinksOrDotFolders) {
  EXPECT_EQ(listed(logs_.log_dir(), EntryKind::kFolder),
            (Names{"20240110", "20240102", "20240101", "20231231"}));
}

TEST_F(LogListing, FilesNewestFirstWithoutFoldersLinksFifosOrDotFiles) {
  EXPECT_EQ(listed(logs_.at("20240101"), EntryKind::kFile),
            (Names{"2024010112.log", "2024010112.error.log", "2024010109.log", "2024010100.log"}));
}

TEST_F(LogListing, EmptyFolderIsEmpty) {
  logs_.folder("20250101");
  EXPECT_EQ(listed(logs_.at("20250101"), EntryKind::kFile), Names{});
  EXPECT_EQ(listed(logs_.at("20250101"), EntryKind::kFolder), Names{});
}

TEST_F(LogListing, CanListTheSameDescriptorTwice) {
  Fd dir(::open(logs_.log_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  std::string error;
  auto first = list_entries(dir.get(), EntryKind::kFolder, error);
  auto second = list_entries(dir.get(), EntryKind::kFolder, error);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->size(), 4u);
  // fdopendir on a copy shares the offset; a second listing of an fd the
  // first one read to the end must not silently come back empty.
  EXPECT_EQ(*first, *second);
}

TEST(LogListingErrors, NotAFolderIsAnError) {
  Fd file(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  std::string error;
  EXPECT_FALSE(list_entries(file.get(), EntryKind::kFile, error));
  EXPECT_NE(error.find("cannot be read"), std::string::npos) << error;
}

}  // namespace
}  // namespace backend::plugins::logexplorer
