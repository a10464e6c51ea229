#include "plugins/logexplorer/log_listing.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <system_error>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace backend::plugins::logexplorer {

namespace {

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};
using Dir = std::unique_ptr<DIR, DirCloser>;

// d_type is DT_UNKNOWN on some file systems; lstat tells then, without
// following a link.
bool is_kind(int dir_fd, const dirent& e, EntryKind kind) {
  unsigned char type = e.d_type;
  if (type == DT_UNKNOWN) {
    struct stat st {};
    if (fstatat(dir_fd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
    type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
  }
  return type == (kind == EntryKind::kFolder ? DT_DIR : DT_REG);
}

}  // namespace

std::optional<std::vector<std::string>> list_entries(int dir_fd, EntryKind kind, std::string& error) {
  // fdopendir takes the descriptor it is given, so it gets a copy.
  int copy = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  Dir dir(copy >= 0 ? fdopendir(copy) : nullptr);
  if (!dir) {
    int err = errno;
    if (copy >= 0) ::close(copy);
    error = "the log folder cannot be read: " + std::generic_category().message(err);
    return std::nullopt;
  }
  // The copy shares the caller's offset, which an earlier listing may have
  // left at the end.
  rewinddir(dir.get());
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = readdir(dir.get())) {
    if (e->d_name[0] != '.' && is_kind(dir_fd, *e, kind)) names.emplace_back(e->d_name);
    errno = 0;
  }
  if (errno != 0) {
    error = "the log folder cannot be read: " + std::generic_category().message(errno);
    return std::nullopt;
  }
  std::sort(names.begin(), names.end(), std::greater<>());
  return names;
}

}  // namespace backend::plugins::logexplorer
