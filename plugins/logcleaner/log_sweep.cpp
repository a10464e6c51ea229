#include "plugins/logcleaner/log_sweep.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace backend::plugins::logcleaner {
namespace {

// Log trees are a few levels deep (jobs/NAME/DAY/HOUR.log); anything much
// deeper is not ours to walk.
constexpr int kMaxDepth = 16;

void note_error(SweepResult& r, const std::string& what) {
  if (r.errors++ == 0) r.first_error = what + ": " + std::strerror(errno);
}

// Sweeps the folder open as dir_fd (taken and closed here); true when it
// is empty afterwards.
bool sweep_dir(int dir_fd, const std::string& path, time_t older_than, int depth, SweepResult& r) {
  DIR* dir = fdopendir(dir_fd);
  if (!dir) {
    note_error(r, path);
    close(dir_fd);
    return false;
  }
  std::vector<std::string> empty_subdirs;
  bool empty = true;
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (name.substr(0, 2) == "__" || fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      empty = false;
      continue;
    }
    if (S_ISREG(st.st_mode) && st.st_mtime < older_than) {
      if (unlinkat(dirfd(dir), e->d_name, 0) == 0) {
        ++r.files_removed;
        r.bytes_removed += static_cast<uint64_t>(st.st_size);
        continue;
      }
      note_error(r, path + "/" + e->d_name);
    } else if (S_ISDIR(st.st_mode) && depth < kMaxDepth) {
      int sub = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0 && sweep_dir(sub, path + "/" + e->d_name, older_than, depth + 1, r)) {
        empty_subdirs.emplace_back(name);
        continue;
      }
      if (sub < 0) note_error(r, path + "/" + e->d_name);
    }
    empty = false;
  }
  for (const auto& name : empty_subdirs) {
    if (unlinkat(dirfd(dir), name.c_str(), AT_REMOVEDIR) == 0) {
      ++r.folders_removed;
    } else {
      empty = false;  // written to meanwhile, most likely
      if (errno != ENOTEMPTY && errno != EEXIST) note_error(r, path + "/" + name);
    }
  }
  closedir(dir);
  return empty;
}

}  // namespace

SweepResult sweep_logs(const std::string& root, time_t older_than) {
  SweepResult r;
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) note_error(r, root);
    return r;
  }
  sweep_dir(fd, root, older_than, 0, r);
  return r;
}

}  // namespace backend::plugins::logcleaner
