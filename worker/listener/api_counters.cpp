#include "worker/listener/api_counters.h"

namespace backend::worker {

void ApiCounters::count_reply(const Command* command, std::string_view reply_json) {
  auto code = protocol::reply_code(reply_json);
  if (!code) return;
  size_t slot = command ? slot_of(commands_.index_of(*command)) : shm::kApiCommands - 1;
  h_.api_requests[slot][static_cast<size_t>(*code)].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace backend::worker
