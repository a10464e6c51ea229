#include "master/pidfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace backend::master {

Pidfile::~Pidfile() {
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> Pidfile::lock(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open pidfile " + path + ": " + std::strerror(errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
    return "another backend-server is running (pid " + (pid > 0 ? std::to_string(pid) : std::string("unknown")) +
           ", pidfile " + path + ")";
  }
  path_ = path;
  fd_ = fd;
  return std::nullopt;
}

std::optional<std::string> Pidfile::write(pid_t pid) {
  std::string text = std::to_string(pid) + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return "cannot write pidfile " + path_ + ": " + std::strerror(errno);
  return std::nullopt;
}

void Pidfile::remove() {
  if (fd_ < 0) return;
  unlink(path_.c_str());
  close(fd_);
  fd_ = -1;
}

}  // namespace backend::master
