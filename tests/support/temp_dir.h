// A temporary folder for one test, /tmp/PREFIX.XXXXXX (mode 0700), removed
// with everything in it when it goes: the one way tests make a folder of
// their own, from a unit test's files to a whole Server's.
#pragma once

#include <string>

namespace backend::testing {

struct TempDir {
  // Throws std::system_error when the folder cannot be made, which fails
  // the test that asked for it before it writes anywhere else.
  explicit TempDir(const std::string& prefix = "backend-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string path;
};

}  // namespace backend::testing
