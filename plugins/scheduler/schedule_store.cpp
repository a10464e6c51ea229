#include "plugins/scheduler/schedule_store.h"

#include <cstdio>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/job_name.h"
#include "protocol/response.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::scheduler {

namespace {

constexpr std::string_view kEnabled = "{\"enable\":true,\"condition\":";
constexpr std::string_view kDisabled = "{\"enable\":false,\"condition\":";

void append_schedule_json(std::string& out, const Schedule& s) {
  out += s.enable ? kEnabled : kDisabled;
  out += s.condition_json;
  out += '}';
}

size_t job_json_size(const std::string& job, const JobSchedules& schedules) {
  size_t size = job.size() + 6;
  for (const auto& [uuid, s] : schedules) size += uuid.size() + 4 + kDisabled.size() + s.condition_json.size() + 1;
  return size;
}

void append_job_json(std::string& out, const std::string& job, const JobSchedules& schedules) {
  if (schedules.empty()) return;
  if (out.size() > 1) out += ',';
  protocol::append_json_string(out, job);
  out += ":{";
  bool first = true;
  for (const auto& [uuid, s] : schedules) {
    if (!first) out += ',';
    first = false;
    protocol::append_json_string(out, uuid);
    out += ':';
    append_schedule_json(out, s);
  }
  out += '}';
}

// all, with job's schedules taken from `mine` when job is given. Every change
// writes the whole file: at 1,000 schedules, growing the string by doubling
// took a fifth of the supervisor's time for an ADD (each larger block was
// fresh memory, paid in page faults). One pass sizes it first; the estimate
// is exact but for names and uuids that need escaping.
std::string json_of(const Schedules& all, const std::string* job, const JobSchedules* mine) {
  size_t size = 2;
  for (const auto& [name, schedules] : all)
    if (!job || name != *job) size += job_json_size(name, schedules);
  if (job) size += job_json_size(*job, *mine);
  std::string out;
  out.reserve(size);
  out += '{';
  bool placed = !job;  // in name order, as the map would have it
  for (const auto& [name, schedules] : all) {
    if (!placed && *job <= name) {
      append_job_json(out, *job, *mine);
      placed = true;
      if (name == *job) continue;
    }
    append_job_json(out, name, schedules);
  }
  if (!placed) append_job_json(out, *job, *mine);
  out += '}';
  return out;
}

}  // namespace

std::string schedule_json(const Schedule& s) {
  std::string out;
  append_schedule_json(out, s);
  return out;
}

std::string schedules_json(const Schedules& all) { return json_of(all, nullptr, nullptr); }

std::string schedules_json(const Schedules& all, const std::string& job, const JobSchedules& mine) {
  return json_of(all, &job, &mine);
}

std::string runs_json(const RunTimes& runs) {
  std::string out = "[";
  for (size_t k = 0; k < runs.size(); ++k) {
    if (k) out += ',';
    out += std::to_string(runs[k]);
  }
  return out + "]";
}

ScheduleStore::ScheduleStore(std::string dir) : dir_(std::move(dir)) {}

std::vector<std::string> ScheduleStore::load() {
  std::vector<std::string> problems;
  schedules_.clear();
  history_.clear();
  if (!worker::make_dirs(dir_ + "/history")) problems.push_back("cannot make the folder " + dir_ + "/history");
  load_schedules(problems);
  for (const auto& [job, unused] : schedules_) load_history(job, problems);
  return problems;
}

namespace {

// One schedule from the file; false (with a problem told) when it is not
// one the plugin would have written.
bool read_schedule(const rapidjson::Value& v, Schedule& s, std::string& problem) {
  if (!v.IsObject() || !v.HasMember("enable") || !v["enable"].IsBool() || !v.HasMember("condition")) {
    problem = "is not {\"enable\": bool, \"condition\": {...}}";
    return false;
  }
  auto condition = parse_condition(v["condition"], problem);
  if (!condition) return false;
  s.enable = v["enable"].GetBool();
  s.condition_json = protocol::to_json(v["condition"]);
  s.condition = std::move(*condition);
  return true;
}

enum class FileState { kMissing, kNotAnObject, kObject };

// A file that cannot be read counts as missing, its error noted.
FileState read_object(const std::string& path, rapidjson::Document& doc, std::vector<std::string>& problems) {
  std::string error;
  auto content = worker::read_file(path, error);
  if (!content) {
    if (!error.empty()) problems.push_back(error);
    return FileState::kMissing;
  }
  doc.Parse(content->data(), content->size());
  return doc.HasParseError() || !doc.IsObject() ? FileState::kNotAnObject : FileState::kObject;
}

}  // namespace

void ScheduleStore::load_schedules(std::vector<std::string>& problems) {
  rapidjson::Document doc;
  FileState state = read_object(schedules_path(), doc, problems);
  if (state == FileState::kMissing) return;
  if (state == FileState::kNotAnObject) {
    std::string bad = schedules_path() + ".bad";
    std::rename(schedules_path().c_str(), bad.c_str());
    problems.push_back(schedules_path() + " is not a JSON object; kept as " + bad + ", starting with no schedules");
    return;
  }
  for (const auto& job : doc.GetObject()) {
    std::string name(job.name.GetString(), job.name.GetStringLength());
    if (!protocol::is_valid_job_name(name) || !job.value.IsObject()) {
      problems.push_back("schedules of job \"" + name + "\" skipped: not a valid job name or not an object");
      continue;
    }
    for (const auto& entry : job.value.GetObject()) {
      std::string uuid(entry.name.GetString(), entry.name.GetStringLength());
      Schedule s;
      std::string problem;
      if (read_schedule(entry.value, s, problem)) {
        schedules_[name][uuid] = std::move(s);
      } else {
        problems.push_back("schedule " + uuid + " of job \"" + name + "\" skipped: " + problem);
      }
    }
  }
}

void ScheduleStore::load_history(const std::string& job, std::vector<std::string>& problems) {
  rapidjson::Document doc;
  FileState state = read_object(history_path(job), doc, problems);
  if (state == FileState::kMissing) return;
  if (state == FileState::kNotAnObject) {
    problems.push_back(history_path(job) + " is not a JSON object; the job's run history starts anew");
    return;
  }
  const auto& schedules = schedules_[job];
  for (const auto& entry : doc.GetObject()) {
    std::string uuid(entry.name.GetString(), entry.name.GetStringLength());
    if (!schedules.count(uuid) || !entry.value.IsArray()) continue;
    RunTimes runs;
    for (const auto& t : entry.value.GetArray()) {
      if (t.IsInt64() && runs.size() < kHistoryLength) runs.push_back(t.GetInt64());
    }
    if (!runs.empty()) history_[job][uuid] = std::move(runs);
  }
}

const Schedule* ScheduleStore::find(const std::string& job, const std::string& uuid) const {
  auto j = schedules_.find(job);
  if (j == schedules_.end()) return nullptr;
  auto s = j->second.find(uuid);
  return s == j->second.end() ? nullptr : &s->second;
}

bool ScheduleStore::set_job(const std::string& job, JobSchedules s) {
  if (s.empty())
    schedules_.erase(job);
  else
    schedules_[job] = std::move(s);
  auto history = history_.find(job);
  if (history == history_.end()) return false;
  auto& runs = history->second;
  size_t before = runs.size();
  std::erase_if(runs, [&](const auto& r) { return !find(job, r.first); });
  bool changed = runs.size() != before;
  if (runs.empty()) history_.erase(history);
  return changed;
}

const RunTimes& ScheduleStore::runs(const std::string& job, const std::string& uuid) const {
  static const RunTimes kNone;
  auto j = history_.find(job);
  if (j == history_.end()) return kNone;
  auto r = j->second.find(uuid);
  return r == j->second.end() ? kNone : r->second;
}

void ScheduleStore::record_run(const std::string& job, const std::string& uuid, int64_t t) {
  auto& runs = history_[job][uuid];
  runs.insert(runs.begin(), t);
  if (runs.size() > kHistoryLength) runs.resize(kHistoryLength);
}

std::string ScheduleStore::history_json(const std::string& job) const {
  auto j = history_.find(job);
  if (j == history_.end() || j->second.empty()) return {};
  std::string out = "{";
  for (const auto& [uuid, runs] : j->second) {
    if (out.size() > 1) out += ',';
    protocol::append_json_string(out, uuid);
    out += ':' + runs_json(runs);
  }
  return out + "}";
}

}  // namespace backend::plugins::scheduler
