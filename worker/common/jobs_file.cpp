#include "worker/common/jobs_file.h"

#include <rapidjson/document.h>

#include "protocol/response.h"

namespace backend::worker {

std::optional<std::string> parse_jobs_file(const std::string& text, JobMap& out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::string("is not a JSON object of job settings");
  JobMap jobs;
  for (auto& m : doc.GetObject()) {
    if (!m.value.IsObject())
      return "holds settings of job \"" + std::string(m.name.GetString()) + "\" that are not an object";
    jobs[std::string(m.name.GetString(), m.name.GetStringLength())] = protocol::to_json(m.value);
  }
  out = std::move(jobs);
  return std::nullopt;
}

// Sized first: every ADD, UPDATE and DELETE writes the whole file, and a
// string grown by doubling past glibc's mmap threshold is fresh memory each
// time, paid in page faults (as in the scheduler's schedules_json).
void serialize_jobs(const JobMap& jobs, std::string& out) {
  size_t size = 4;
  for (const auto& [name, json] : jobs) size += name.size() + json.size() + 6;
  out.clear();
  out.reserve(size);
  out += '{';
  for (const auto& [name, json] : jobs) {
    out += out.size() > 1 ? ",\n" : "\n";
    protocol::append_json_string(out, name);
    out += ": ";
    out += json;
  }
  out += "\n}\n";
}

std::string serialize_jobs(const JobMap& jobs) {
  std::string out;
  serialize_jobs(jobs, out);
  return out;
}

}  // namespace backend::worker
