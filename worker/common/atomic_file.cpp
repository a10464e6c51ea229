#include "worker/common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace backend::worker {
namespace {

std::string why(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

bool write_all(int fd, std::string_view data) { return write_all(fd, std::span<const std::string_view>(&data, 1)); }

bool write_all(int fd, std::span<const std::string_view> pieces) {
  constexpr size_t kMaxIov = 64;  // what one call takes here: batches hold a few pieces
  size_t i = 0, skip = 0;  // pieces[i] is written up to skip
  while (i < pieces.size()) {
    iovec iov[kMaxIov];
    size_t n = 0;
    for (size_t j = i; j < pieces.size() && n < kMaxIov; ++j) {
      size_t from = j == i ? skip : 0;
      if (pieces[j].size() == from) continue;
      iov[n++] = {const_cast<char*>(pieces[j].data() + from), pieces[j].size() - from};
    }
    if (n == 0) return true;
    ssize_t w = writev(fd, iov, static_cast<int>(n));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    // Steps past what was written: whole pieces, then into the next.
    size_t left = static_cast<size_t>(w);
    while (i < pieces.size() && left >= pieces[i].size() - skip) {
      left -= pieces[i].size() - skip;
      ++i;
      skip = 0;
    }
    skip += left;
  }
  return true;
}

// O_NONBLOCK changes nothing for a regular file.
int open_append_file(const std::string& path, std::string& error) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "it is not a regular file";
    close(fd);
    return -1;
  }
  return fd;
}

bool make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> replace_file(const std::string& path, const std::string& content,
                                        std::optional<gid_t> group) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return why("cannot create", tmp);
  if (group && (fchown(fd, static_cast<uid_t>(-1), *group) != 0 || fchmod(fd, 0640) != 0)) {
    std::string err = why("cannot share", tmp);
    close(fd);
    unlink(tmp.c_str());
    return err;
  }
  if (!write_all(fd, content) || fsync(fd) != 0) {
    std::string err = why("cannot write", tmp);
    close(fd);
    unlink(tmp.c_str());
    return err;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = why("cannot rename to", path);
    unlink(tmp.c_str());
    return err;
  }
  std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return std::nullopt;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  error.clear();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) error = why("cannot open", path);
    return std::nullopt;
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = why("cannot read", path);
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace backend::worker
