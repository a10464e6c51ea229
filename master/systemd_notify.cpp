#include "master/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>

namespace backend::master {

SystemdNotify::SystemdNotify() {
  if (const char* s = std::getenv("NOTIFY_SOCKET")) socket_ = s;
  unsetenv("NOTIFY_SOCKET");
}

// The socket is put back in the environment for the one call, and
// sd_notify takes it out again (its unset_environment): the master is one
// thread, so no fork can see it meanwhile.
void SystemdNotify::send(const std::string& message) {
  if (socket_.empty()) return;
  setenv("NOTIFY_SOCKET", socket_.c_str(), 1);
  sd_notify(1, message.c_str());
}

void SystemdNotify::ready(std::string_view status) {
  std::string m = "READY=1";
  if (!status.empty()) m += "\nSTATUS=" + std::string(status);
  send(m);
}

// MONOTONIC_USEC lets a Type=notify-reload unit (systemd 253 and later) tell
// this reload from an earlier one; older ones ignore it.
void SystemdNotify::reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  send("RELOADING=1\nMONOTONIC_USEC=" +
       std::to_string(static_cast<unsigned long long>(now.tv_sec) * 1000000ull + now.tv_nsec / 1000));
}

void SystemdNotify::stopping() { send("STOPPING=1"); }

void SystemdNotify::status(std::string_view text) { send("STATUS=" + std::string(text)); }

}  // namespace backend::master
