// What the dashboard keeps in the listener between requests: its logins,
// the failed logins per address, the usage history its charts draw, and the
// segment its event streams read.
#pragma once

#include <chrono>
#include <cstdint>

#include "shm/segment.h"
#include "worker/listener/dashboard/login_limiter.h"
#include "worker/listener/dashboard/usage_history.h"
#include "worker/listener/dashboard/web_sessions.h"

namespace backend::worker::dashboard {

struct Dashboard {
  explicit Dashboard(const shm::Segment& segment) : seg(segment) {}

  const shm::Segment& seg;
  UsageHistory usage;
  WebSessions sessions;
  LoginLimiter logins;

  static uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
  }
};

}  // namespace backend::worker::dashboard
