// The commands the listener answers from shared memory (and /proc), without
// a round trip to the supervisor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/commands.h"
#include "shm/segment.h"
#include "worker/listener/dashboard/usage_history.h"

namespace backend::worker {

class Queries {
 public:
  explicit Queries(const shm::Segment& segment) : seg_(segment) {}
  // Where USAGE, USAGEALL and the detail's "cpu" come from (none: unknown).
  void set_usage(const dashboard::UsageHistory* usage) { usage_ = usage; }

  // Appends the framed reply to `out`. `job` is the validated jobname (empty
  // for commands without one). False when `command` is not a query.
  bool answer(protocol::CoreCommand command, std::string_view job, const rapidjson::Value& params,
              std::string& out);

 private:
  // A reply body built from the table, reused until the table changes:
  // panels poll STATUSALL and GETALL far more often than anything changes.
  struct Cached {
    uint64_t changes = UINT64_MAX;
    std::string data;
  };
  const std::string& cached(Cached& cache, std::string (*build)(const shm::Segment&));

  const shm::Segment& seg_;
  const dashboard::UsageHistory* usage_ = nullptr;
  Cached statusall_;
  Cached getall_;
};

}  // namespace backend::worker
