#include "master/listen_socket.h"

#include "master/port_owner.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace backend::master {

int bind_listen_socket(const std::string& host, uint16_t port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string where = host + ":" + std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve " + where + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) break;
    error = "cannot listen on " + where + ": " + std::strerror(errno);
    if (errno == EADDRINUSE)
      if (auto owner = port_owner(port)) error += " (by pid " + std::to_string(*owner) + ")";
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd >= 0) error.clear();
  return fd;
}

namespace {

std::string failed(const std::string& what) { return what + ": " + std::strerror(errno); }

// A socket file is stale when nothing accepts on it: a server killed
// outright leaves it behind. Anything else is not ours to remove.
std::optional<std::string> clear_path(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT ? std::nullopt : std::optional(failed("cannot stat " + path));
  if (!S_ISSOCK(st.st_mode)) return path + " exists and is not a socket";
  // Non-blocking: a live server with a full backlog answers EAGAIN, never
  // holds the start. Only a refusal proves nobody listens.
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (probe < 0) return failed("cannot create a Unix socket");
  int rc = connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int err = rc == 0 ? 0 : errno;
  close(probe);
  if (err == 0 || err == EAGAIN || err == EINPROGRESS) return "another server listens on " + path;
  if (err != ECONNREFUSED) return "cannot tell whether a server listens on " + path + ": " + std::strerror(err);
  if (unlink(path.c_str()) != 0) return failed("cannot remove the stale socket " + path);
  return std::nullopt;
}

}  // namespace

int bind_unix_socket(const std::string& path, unsigned mode, uid_t owner, gid_t group, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    error = "unix_socket " + path + " is longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes";
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (auto err = clear_path(path, addr)) {
    error = *err;
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = failed("cannot create a Unix socket");
    return -1;
  }
  // Born with its mode (a socket's is set by the umask at bind; a chmod by
  // path afterwards could follow a link put in its place), and root's until
  // lchown gives it its owner: nobody gets in meanwhile who should not.
  mode_t old = umask(~static_cast<mode_t>(mode) & 0777);
  int rc = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0 || listen(fd, 1024) != 0) {
    error = failed("cannot listen on " + path);
  } else if (lchown(path.c_str(), owner, group) != 0) {
    error = failed("cannot give " + path + " its owner");
  } else {
    return fd;
  }
  close(fd);
  if (rc == 0) unlink(path.c_str());
  return -1;
}

}  // namespace backend::master
