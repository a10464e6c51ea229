// Log paths as logexplorer's clients send them (a job name, then folder and
// file names): never a crash, and whatever opens lies inside the log folder,
// whatever links, dots or odd bytes the names hold.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "plugins/logexplorer/log_paths.h"

using namespace backend::plugins::logexplorer;
namespace fs = std::filesystem;

namespace {

// A log folder with a job's files, and links that lead out of it, made once
// per fuzzing process and removed at its exit.
struct LogTree {
  LogTree() {
    char tmpl[] = "/tmp/fuzz-log-paths.XXXXXX";
    root = fs::canonical(mkdtemp(tmpl)).string();
    dir = root + "/log";
    fs::create_directories(dir + "/jobs/a/20261124");
    fs::create_directories(dir + "/server/20261124");
    fs::create_directories(root + "/outside");
    for (const char* f : {"/jobs/a/20261124/2026112415.log", "/server/20261124/2026112415.log"}) {
      int fd = open((dir + f).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) close(fd);
    }
    fs::create_symlink(root + "/outside", dir + "/jobs/evil");
    fs::create_symlink("../../outside", dir + "/jobs/a/up");
    fs::create_symlink("/etc/passwd", dir + "/jobs/a/20261124/passwd.log");
  }
  ~LogTree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string root, dir;
};

bool inside(const std::string& dir, int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  char target[4096];
  ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0) return false;
  std::string path(target, size_t(n));
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static LogTree tree;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t start = 0;
  // '/' separates the names, at most eight of them.
  while (parts.size() < 8) {
    size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (const auto& p : parts) {
    component_problem(p);
    if (shown_name(p).empty()) abort();
  }
  // The first name is a job's, or "@server" for the server's folder; an
  // invalid job name leaves the log folder itself.
  std::vector<std::string> path;
  if (parts[0] == "@server")
    path = server_log_folder();
  else if (auto folder = job_log_folder(parts[0]))
    path = *folder;
  path.insert(path.end(), parts.begin() + 1, parts.end());
  for (bool file : {false, true}) {
    Opened o = file ? open_file(tree.dir, path) : open_folder(tree.dir, path);
    if (o.fd.get() >= 0 && !inside(tree.dir, o.fd.get())) abort();
    if (o.fd.get() < 0 && o.error.empty()) abort();
  }
  return 0;
}
