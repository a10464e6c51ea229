// What /metrics counts of the API: requests by command and reply code, and
// the requests auth refused. The counters live in shared memory (the
// segment's header), so that a listener's death resets none.
#pragma once

#include <string_view>

#include "protocol/response.h"
#include "shm/layout.h"
#include "worker/common/command_table.h"

namespace backend::worker {

class ApiCounters {
 public:
  ApiCounters(shm::Header& header, const CommandTable& commands) : h_(header), commands_(commands) {}

  // A reply (its JSON) to a request for `command`; null: a name nobody
  // knows, or no name at all.
  void count_reply(const Command* command, std::string_view reply_json);
  void auth_failure() { h_.auth_failures.fetch_add(1, std::memory_order_relaxed); }

  // The counter of a command's requests (the last for names nobody knows).
  static size_t slot_of(size_t command_index) { return std::min(command_index, shm::kApiCommands - 1); }

 private:
  shm::Header& h_;
  const CommandTable& commands_;
};

}  // namespace backend::worker
