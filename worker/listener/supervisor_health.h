// /healthz: healthy while both workers run and the supervisor answers a
// ping within a second. The listener answering is the listener running.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <uv.h>

#include "shm/segment.h"
#include "worker/listener/supervisor_client.h"

namespace backend::worker {

class SupervisorHealth {
 public:
  static constexpr uint64_t kAnswerMs = 1000;

  SupervisorHealth(uv_loop_t* loop, const shm::Segment& segment, SupervisorClient& supervisor)
      : loop_(loop), seg_(segment), supervisor_(supervisor) {}

  // What is wrong that needs no asking (no supervisor runs); nullopt when
  // nothing is known to be.
  std::optional<std::string> known_problem() const;
  // Pings the supervisor. `done` is called once, from the loop and never
  // before check() returns: nullopt when it answered within kAnswerMs,
  // else the reason.
  using Done = std::function<void(std::optional<std::string> problem)>;
  void check(Done done);

 private:
  uv_loop_t* loop_;
  const shm::Segment& seg_;
  SupervisorClient& supervisor_;
};

}  // namespace backend::worker
