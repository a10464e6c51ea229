#include "master/systemd_notify.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>

namespace backend::master {
namespace {

// libsystemd is loaded under systemd only (NOTIFY_SOCKET set), at the first
// message: with the compression and crypto libraries it needs, it is about
// 0.8 MiB of PSS that a server outside systemd would carry for nothing.
decltype(&::sd_notify) sd_notify_call() {
  static const auto call = []() -> decltype(&::sd_notify) {
    void* library = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    auto found = library ? reinterpret_cast<decltype(&::sd_notify)>(dlsym(library, "sd_notify")) : nullptr;
    if (!found) {
      const char* why = dlerror();
      spdlog::error("cannot tell systemd how the server is: libsystemd.so.0 cannot be loaded ({})",
                    why ? why : "no sd_notify");
    }
    return found;
  }();
  return call;
}

}  // namespace

SystemdNotify::SystemdNotify() {
  if (const char* s = std::getenv("NOTIFY_SOCKET")) socket_ = s;
  unsetenv("NOTIFY_SOCKET");
}

// The socket is put back in the environment for the one call, and
// sd_notify takes it out again (its unset_environment): the master is one
// thread, so no fork can see it meanwhile.
void SystemdNotify::send(const std::string& message) {
  if (socket_.empty()) return;
  auto notify = sd_notify_call();
  if (!notify) return;
  setenv("NOTIFY_SOCKET", socket_.c_str(), 1);
  notify(1, message.c_str());
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
