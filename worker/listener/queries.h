// The commands the listener answers from shared memory (and /proc), without
// a round trip to the supervisor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <uv.h>

#include "protocol/commands.h"
#include "shm/segment.h"
#include "worker/listener/dashboard/usage_history.h"

namespace backend::worker {

class Queries {
 public:
  explicit Queries(const shm::Segment& segment) : seg_(segment) {}
  // Where USAGE, USAGEALL and the detail's "cpu" come from (none: unknown).
  void set_usage(const dashboard::UsageHistory* usage) { usage_ = usage; }

  // Reading a process's /proc costs about 13 µs here: MEMALL and
  // STATUSALL's detail read it for every running job (85 ms at 6,500), so
  // past this many running jobs they are answered from the loop's thread
  // pool and the loop serves others meanwhile. Up to it they are answered
  // at once, for less than the hop to the pool and back would cost.
  static constexpr size_t kProcReadsOnLoop = 64;
  // USAGEALL formats about 25 values a microsecond here (a job's memory and
  // CPU at each point): past this many it is built on the pool.
  static constexpr size_t kUsageValuesOnLoop = 16384;
  // The loop whose thread pool reads /proc and builds large replies; without one every answer is
  // made at once.
  void set_pool(uv_loop_t* loop) { loop_ = loop; }

  // An answer made later: the framed reply, handed over on the loop.
  using Later = std::function<void(std::string framed_reply)>;
  // Appends the framed reply to `out` and returns true, or returns false
  // and calls `later` once. `job` is the validated jobname (empty for
  // commands without one). A command that is no query gets a FAILED reply.
  bool answer(protocol::CoreCommand command, std::string_view job, const rapidjson::Value& params,
              std::string& out, const Later& later);

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
  uv_loop_t* loop_ = nullptr;
  Cached statusall_;
  Cached getall_;
};

}  // namespace backend::worker
