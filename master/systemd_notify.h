// Tells systemd how the server is (a Type=notify unit), through libsystemd's
// sd_notify: READY=1 once the sockets are bound and the supervisor took the
// jobs, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 at a stop.
// Outside systemd (no NOTIFY_SOCKET) every call does nothing, and libsystemd
// is not even loaded.
//
// NOTIFY_SOCKET is taken out of the environment at start, so that no
// worker and no job inherits it: a job could otherwise speak for the
// service (systemd takes only the main pid's word by default, but a job has
// no business knowing the socket at all).
#pragma once

#include <string>
#include <string_view>

namespace backend::master {

class SystemdNotify {
 public:
  // Takes NOTIFY_SOCKET out of the environment (call before any fork).
  SystemdNotify();

  bool enabled() const { return !socket_.empty(); }
  // The socket, for the binary an upgrade in place executes: it speaks for
  // the same service.
  const std::string& socket() const { return socket_; }
  void ready(std::string_view status = {});
  void reloading();
  void stopping();
  // A line for `systemctl status`.
  void status(std::string_view text);

 private:
  void send(const std::string& message);
  std::string socket_;
};

}  // namespace backend::master
