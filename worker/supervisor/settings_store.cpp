#include "worker/supervisor/settings_store.h"

#include <dirent.h>
#include <unistd.h>

#include <memory>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/response.h"
#include "worker/common/atomic_file.h"
#include "worker/common/jobs_file.h"

namespace backend::worker {

struct SettingsStore::Write {
  uv_work_t req;
  SettingsStore* store;
  std::string path;
  std::string content;
  // The changed jobs' settings as written (nullopt: deleted).
  std::vector<std::pair<std::string, std::optional<std::string>>> changes;
  std::optional<std::string> error;
};

SettingsStore::SettingsStore(uv_loop_t* loop, std::string path) : loop_(loop), path_(std::move(path)) {}

// Temporaries of writers killed mid-write: never the real file, safe to drop.
void remove_leftover_temporaries(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string prefix = path.substr(slash == std::string::npos ? 0 : slash + 1) + ".tmp.";
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d))
    if (std::string_view(e->d_name).rfind(prefix, 0) == 0) unlink((dir + "/" + e->d_name).c_str());
  closedir(d);
}

std::optional<std::string> SettingsStore::load() {
  remove_leftover_temporaries(path_);
  std::string error;
  auto text = read_file(path_, error);
  if (!error.empty()) return error;
  JobMap jobs;
  if (text)
    if (auto err = parse_jobs_file(*text, jobs)) return path_ + " " + *err;
  jobs_ = saved_ = std::move(jobs);
  changed_.clear();
  return std::nullopt;
}

const std::string* SettingsStore::find(const std::string& name) const {
  auto it = jobs_.find(name);
  return it == jobs_.end() ? nullptr : &it->second;
}

const std::string* SettingsStore::find_saved(const std::string& name) const {
  auto it = saved_.find(name);
  return it == saved_.end() ? nullptr : &it->second;
}

void SettingsStore::put(const std::string& name, std::string json) {
  jobs_[name] = std::move(json);
  changed_.insert(name);
}

void SettingsStore::erase(const std::string& name) {
  jobs_.erase(name);
  changed_.insert(name);
}

void SettingsStore::commit(Done done) {
  waiting_.push_back(std::move(done));
  if (!in_flight_) start_write();
}

void SettingsStore::start_write() {
  auto* w = new Write;
  w->req.data = w;
  w->store = this;
  w->path = path_;
  for (const auto& name : changed_) {
    const std::string* json = find(name);
    w->changes.emplace_back(name, json ? std::optional<std::string>(*json) : std::nullopt);
  }
  changed_.clear();
  w->content = std::move(spare_);
  serialize_jobs(jobs_, w->content);
  writing_ = std::move(waiting_);
  waiting_.clear();
  in_flight_ = true;
  // fsync can take long: it runs on libuv's thread pool, never on the loop.
  uv_queue_work(
      loop_, &w->req, [](uv_work_t* r) {
        auto* wr = static_cast<Write*>(r->data);
        wr->error = replace_file(wr->path, wr->content);
      },
      [](uv_work_t* r, int) {
        auto* wr = static_cast<Write*>(r->data);
        wr->store->finish_write(wr);
      });
}

void SettingsStore::finish_write(Write* w) {
  std::unique_ptr<Write> owned(w);
  spare_ = std::move(w->content);
  in_flight_ = false;
  auto done = std::move(writing_);
  writing_.clear();
  if (!w->error) {
    for (auto& [name, json] : w->changes) {
      if (json)
        saved_[name] = std::move(*json);
      else
        saved_.erase(name);
    }
    for (auto& d : done) d({});
    if (!waiting_.empty()) start_write();
    return;
  }
  jobs_ = saved_;
  changed_.clear();
  auto later = std::move(waiting_);
  waiting_.clear();
  std::string error = "settings not saved: " + *w->error;
  for (auto& d : done) d(error);
  for (auto& d : later) d(error);
}

}  // namespace backend::worker
