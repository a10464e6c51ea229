// A temporary folder for one test, removed with everything in it.
#pragma once

#include <cstdlib>
#include <string>

namespace backend::testing {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/worker-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

}  // namespace backend::testing
