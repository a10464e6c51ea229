// Job settings, the supervisor's to write: kept in memory, saved to
// DATA_DIR/jobs.json off the loop. Changes made while a save is under way go
// to disk together in the next one (group commit).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <uv.h>

#include "worker/common/jobs_file.h"

namespace backend::worker {


class SettingsStore {
 public:
  // error is empty when the change is on disk.
  using Done = std::function<void(const std::string& error)>;

  SettingsStore(uv_loop_t* loop, std::string path);

  std::optional<std::string> load();

  const JobMap& jobs() const { return jobs_; }
  const std::string* find(const std::string& name) const;
  // What is on disk, which is what others may see.
  const std::string* find_saved(const std::string& name) const;
  const JobMap& saved() const { return saved_; }

  void put(const std::string& name, std::string json) { jobs_[name] = std::move(json); }
  void erase(const std::string& name) { jobs_.erase(name); }

  // Saves every change made so far, then calls done. On failure the store
  // goes back to what is on disk and every change not yet saved fails too.
  void commit(Done done);

 private:
  struct Write;
  void start_write();
  void finish_write(Write* w);

  uv_loop_t* loop_;
  std::string path_;
  JobMap jobs_;
  JobMap saved_;
  std::vector<Done> writing_;
  std::vector<Done> waiting_;
  bool in_flight_ = false;
};

}  // namespace backend::worker
