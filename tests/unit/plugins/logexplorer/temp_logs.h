// A throw-away DATA folder for the logexplorer tests: DATA/log holds the
// logs, and things beside it stand for what a path traversal would reach.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace backend::plugins::logexplorer {

class TempLogs {
 public:
  TempLogs() { std::filesystem::create_directories(root() / "log"); }

  std::filesystem::path root() const { return dir_.path; }
  std::string log_dir() const { return (root() / "log").string(); }

  // rel is under DATA/log; a path starting with "../" reaches DATA itself.
  std::filesystem::path at(const std::string& rel) const { return root() / "log" / rel; }

  void folder(const std::string& rel) const { std::filesystem::create_directories(at(rel)); }

  void file(const std::string& rel, const std::string& content) const {
    std::filesystem::create_directories(at(rel).parent_path());
    std::ofstream(at(rel), std::ios::binary) << content;
  }

  void symlink(const std::filesystem::path& target, const std::string& rel) const {
    std::filesystem::create_directories(at(rel).parent_path());
    std::filesystem::create_symlink(target, at(rel));
  }

  void fifo(const std::string& rel) const { ASSERT_EQ(mkfifo(at(rel).c_str(), 0600), 0); }

 private:
  backend::testing::TempDir dir_{"logx"};
};

}  // namespace backend::plugins::logexplorer
