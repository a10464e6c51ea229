// DATA_DIR/jobs.json, every job's settings: read by the master, which
// refuses to start on a broken file, and kept by the supervisor
// (worker/supervisor/settings_store.h).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace backend::worker {

using JobMap = std::map<std::string, std::string>;  // name -> settings as compact JSON

// Parses the file's content ({"name": {settings}, ...}); error sentence on failure.
std::optional<std::string> parse_jobs_file(const std::string& text, JobMap& out);
std::string serialize_jobs(const JobMap& jobs);
// The same into out, replacing what it held but keeping its capacity: a
// writer that saves often reuses one buffer.
void serialize_jobs(const JobMap& jobs, std::string& out);

}  // namespace backend::worker
