// The commands the listener answers from shared memory (and /proc), without
// a round trip to the supervisor.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "shm/segment.h"

namespace backend::worker {

// Appends the framed reply to `out`. `job` is the validated jobname (empty
// for commands without one). False when `command` is not a query.
bool answer_query(const shm::Segment& segment, std::string_view command, std::string_view job,
                  const rapidjson::Value& params, std::string& out);

}  // namespace backend::worker
