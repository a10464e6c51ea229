// Job settings, the supervisor's to write: kept in memory, saved to
// DATA_DIR/jobs.json off the loop. Changes made while a save is under way go
// to disk together in the next one (group commit).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
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

  void put(const std::string& name, std::string json);
  void erase(const std::string& name);

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
  // Jobs put or erased since the last write began: a write carries only
  // their new settings to saved_, not a copy of every job (at 1,000 jobs the
  // copy was most of an ADD's CPU).
  std::set<std::string> changed_;
  // The last write's file content, its memory reused by the next: fresh
  // pages for every save were a fifth of an ADD's CPU at 1,000 jobs.
  std::string spare_;
  std::vector<Done> writing_;
  std::vector<Done> waiting_;
  bool in_flight_ = false;
};

}  // namespace backend::worker
