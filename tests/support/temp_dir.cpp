#include "tests/support/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace backend::testing {

namespace {

std::string make_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
  return tmpl;
}

}  // namespace

TempDir::TempDir(const std::string& prefix) : path(make_dir(prefix)) {}

// Whatever cannot be removed (a test that took its own rights away) stays
// behind rather than failing a test that has passed.
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace backend::testing
