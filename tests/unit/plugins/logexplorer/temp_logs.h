// A throw-away DATA folder for the logexplorer tests: DATA/log holds the
// logs, and things beside it stand for what a path traversal would reach.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace backend::plugins::logexplorer {

class TempLogs {
 public:
  TempLogs() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "logx-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    std::filesystem::create_directories(root_ / "log");
  }
  ~TempLogs() { std::filesystem::remove_all(root_); }
  TempLogs(const TempLogs&) = delete;
  TempLogs& operator=(const TempLogs&) = delete;

  std::filesystem::path root() const { return root_; }
  std::string log_dir() const { return (root_ / "log").string(); }

  // rel is under DATA/log; a path starting with "../" reaches DATA itself.
  std::filesystem::path at(const std::string& rel) const { return root_ / "log" / rel; }

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
  std::filesystem::path root_;
};

}  // namespace backend::plugins::logexplorer
