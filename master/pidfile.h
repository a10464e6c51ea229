// The pidfile, locked (flock) for the master's whole life. The lock, not the
// file's presence, says a server runs: a pidfile left by a dead one is taken over.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

namespace backend::master {

class Pidfile {
 public:
  Pidfile() = default;
  ~Pidfile();
  Pidfile(const Pidfile&) = delete;
  Pidfile& operator=(const Pidfile&) = delete;

  // Opens and locks. On failure returns the sentence, naming the running
  // server's pid when another one holds the lock.
  std::optional<std::string> lock(const std::string& path);
  // Writes the pid (after daemonizing, when the final pid is known).
  std::optional<std::string> write(pid_t pid);
  // Removes the file while still holding the lock, then lets go.
  void remove();
  int fd() const { return fd_; }
  // Takes over the locked pidfile an upgraded master was handed.
  void adopt(int fd, const std::string& path) {
    fd_ = fd;
    path_ = path;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace backend::master
