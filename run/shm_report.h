// What backend-shm prints: the segment's header, its job table and rings,
// as aligned text for a person or as JSON for a script.
#pragma once

#include <string>

#include "shm/segment.h"

namespace backend::tools {

std::string header_text(const std::string& name, const shm::Segment& seg);
std::string jobs_text(const shm::Segment& seg, long now);
std::string status_json(const std::string& name, const shm::Segment& seg, long now);
// The job's ring, or the server's when job is empty; nullopt-like "" + ok=false when no such job.
bool ring_lines(const shm::Segment& seg, const std::string& job, bool json, std::string& out);

}  // namespace backend::tools
