// What START runs for a job: program, arguments, environment, folder and
// user, worked out from its settings, with a clear sentence when it cannot.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "worker/supervisor/job_spawn.h"

namespace backend::worker {

// Settings START and STOP need, read from the stored JSON.
struct RunSettings {
  std::string command;
  std::string params;
  std::string interpreter;
  std::string cwd;
  std::string user;
  std::map<std::string, std::string> env;
  int stop_signal = 15;
  uint32_t stop_timeout = 10;  // seconds
  bool writelog = false;
};

std::optional<std::string> read_run_settings(const std::string& settings_json, RunSettings& out);

// Builds the spawn of a job. `interpreters` maps extensions (".php") to the
// program that runs such files. Returns the error sentence for FAILED.
std::optional<std::string> resolve_command(const RunSettings& settings,
                                           const std::map<std::string, std::string>& interpreters,
                                           SpawnSpec& out);


}  // namespace backend::worker
