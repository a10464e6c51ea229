// The schedules and their run history, in memory and as files in the
// plugin's data folder:
//
//   schedules.json       {jobname: {uuid: {"enable": bool, "condition": {...}}}}
//   history/JOB.json     {uuid: [start times, newest first, at most 50]}
//
// History is kept apart from the schedules, one file per job, because it
// changes on every run: a run rewrites only its own job's few hundred bytes,
// never the schedule definitions, and deleting a job removes one file.
// Job names are safe file names (protocol/job_name.h).
//
// This class does no writing itself: the plugin writes the JSON it gives
// through a SerialWriter, off the loop.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "plugins/scheduler/condition.h"

namespace backend::plugins::scheduler {

inline constexpr size_t kHistoryLength = 50;

struct Schedule {
  bool enable = false;
  std::string condition_json;  // the condition as the client sent it
  Condition condition;
};

using JobSchedules = std::map<std::string, Schedule>;   // by uuid
using Schedules = std::map<std::string, JobSchedules>;  // by job name
using RunTimes = std::vector<int64_t>;                  // Unix seconds, newest first

// {"enable": bool, "condition": {...}}
std::string schedule_json(const Schedule& s);
// {jobname: {uuid: {...}}}: the file and GETALL's answer alike.
std::string schedules_json(const Schedules& all);
// The same with job's schedules replaced by `mine` (none when it is empty):
// the file as a change to that job leaves it, without a copy of the rest.
std::string schedules_json(const Schedules& all, const std::string& job, const JobSchedules& mine);
// [t, ...]
std::string runs_json(const RunTimes& runs);

class ScheduleStore {
 public:
  explicit ScheduleStore(std::string dir);

  // Reads the files (once, at start, so synchronously). Returns what was
  // wrong, one sentence each; a schedules file that does not parse is kept
  // as schedules.json.bad so the next write does not destroy it.
  std::vector<std::string> load();

  const Schedules& schedules() const { return schedules_; }
  const Schedule* find(const std::string& job, const std::string& uuid) const;
  // Takes a job's new schedules (none when s is empty; written to disk by
  // the caller), the others left as they are, and drops the history of the
  // job's schedules no longer in it. Returns whether its history changed.
  bool set_job(const std::string& job, JobSchedules s);

  const RunTimes& runs(const std::string& job, const std::string& uuid) const;
  // Keeps the newest kHistoryLength.
  void record_run(const std::string& job, const std::string& uuid, int64_t t);
  // The job's history file content; empty when the job has no history (the
  // file is then removed).
  std::string history_json(const std::string& job) const;

  std::string schedules_path() const { return dir_ + "/schedules.json"; }
  std::string history_path(const std::string& job) const { return dir_ + "/history/" + job + ".json"; }

 private:
  void load_schedules(std::vector<std::string>& problems);
  void load_history(const std::string& job, std::vector<std::string>& problems);

  std::string dir_;
  Schedules schedules_;
  std::map<std::string, std::map<std::string, RunTimes>> history_;  // job, uuid
};

}  // namespace backend::plugins::scheduler
