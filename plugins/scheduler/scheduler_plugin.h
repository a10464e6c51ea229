// The scheduler plugin (supervisor side): schedules per job, kept in the
// plugin's data folder, that START their job when their condition is due
// (PROTOCOL.md, section scheduler; due times as next_due.h says).
//
// One timer is armed at the nearest due time of all enabled schedules, and
// at most kRecheckMs ahead so that a jump of the wall clock is noticed
// within that time. A due schedule whose job is running (or still being
// started) is skipped with an info line, not queued.
//
// Changes (ADD, UPDATE, DELETE, and a job's DELETE) run one at a time:
// each writes the schedules file off the loop and is answered, and takes
// effect, only once the file is written; so an answer never tells of a
// state that is not on disk, and each change is checked against every
// earlier one.
//
// Settings: none (the plugin's block must be empty or absent).
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "plugins/plugin.h"
#include "plugins/scheduler/due_cache.h"
#include "plugins/scheduler/change_params.h"
#include "plugins/scheduler/schedule_store.h"
#include "plugins/scheduler/serial_writer.h"
#include "plugins/serial_queue.h"
#include "plugins/timer.h"
#include "plugins/wall_clock.h"
#include "shm/layout.h"

namespace backend::plugins::scheduler {

// Unix time in milliseconds. Tests hand in a fake one to make a schedule
// due within milliseconds.
using Clock = std::function<int64_t()>;

inline constexpr uint64_t kRecheckMs = 3600 * 1000;

class SchedulerPlugin : public Plugin {
 public:
  explicit SchedulerPlugin(Clock clock = system_clock_ms);
  ~SchedulerPlugin() override;

  std::optional<std::string> configure(const rapidjson::Value& settings) override;
  void inited(Host& host) override;
  void finished(std::string_view command, const rapidjson::Value& params, Code code) override;
  void close() override;

  // The plugin's commands, each with its handler.
  static std::span<const CommandSpec> commands();

 private:
  struct Target {
    std::string job;
    std::string uuid;
  };
  bool read_target(const rapidjson::Value& params, bool with_uuid, Target& target, const Done& done) const;
  void add_command(const rapidjson::Value& params, Done done);
  void update_command(const rapidjson::Value& params, Done done);
  void delete_command(const rapidjson::Value& params, Done done);
  void get_command(const rapidjson::Value& params, Done done);
  void getlog_command(const rapidjson::Value& params, Done done);
  void getall_command(const rapidjson::Value& params, Done done);
  void nextruns_command(const rapidjson::Value& params, Done done);

  using Key = std::pair<std::string, std::string>;  // job, uuid
  using Committed = std::function<void(std::optional<std::string> error)>;

  void add(const std::string& job, ScheduleChange change, Done done);
  void update(const std::string& job, const std::string& uuid, ScheduleChange change, Done done);
  void remove(const std::string& job, const std::string& uuid, Done done);
  void remove_job(const std::string& job);
  // GET (log false) or GETLOG (log true).
  Schedules live_schedules() const;
  void get(const std::string& job, const std::string& uuid, bool log, const Done& done) const;
  std::optional<std::string> same_condition(const std::string& job, const Condition& c,
                                            const std::string& except) const;

  // Saves `next` as the job's schedules (none when empty), then takes them.
  void commit(const std::string& job, JobSchedules next, Committed then);
  JobSchedules schedules_of(const std::string& job) const;
  void save_history(const std::string& job);

  time_t now() const { return static_cast<time_t>(clock_() / 1000); }
  time_t& since(const Key& key, time_t now);
  void forget_deleted(const std::string& job);
  // Enabled, and its job exists.
  bool runnable(const std::string& job, const Schedule& s) const;
  void arm();
  void fire();
  void start_scheduled(const std::string& job, const std::string& uuid);
  // A schedule as /metrics shows it (next_at left 0 for the caller).
  shm::ScheduleRecord record_of(const Key& key);

  Clock clock_;
  uv_loop_t* loop_ = nullptr;
  JobControl* jobs_ = nullptr;
  std::set<std::string> removing_;  // deleted jobs whose schedules are being dropped
  std::unique_ptr<ScheduleStore> store_;
  std::unique_ptr<SerialWriter> writer_;
  std::unique_ptr<Timer> timer_;
  SerialQueue changes_;  // each calls its next() when done with the schedules
  // Per schedule, the time up to which its due instants have been dealt
  // with: a schedule added or enabled does not run for times before that.
  std::map<Key, time_t> since_;
  DueCache dues_;  // since_'s next due instants
  std::set<std::string> starting_;  // jobs whose START has not answered yet
  const shm::Segment* host_segment_ = nullptr;
  std::map<Key, uint64_t> runs_total_;  // runs since the server started, by schedule
  // What arm() publishes, kept between calls: every change publishes every
  // schedule, and a vector grown afresh each time was new memory paid in
  // page faults (7 % of the supervisor's time per ADD at 1,000 schedules).
  std::vector<shm::ScheduleRecord> published_;
  // Tells callbacks that outlive the plugin (START answers) not to touch it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

const PluginInfo& scheduler_plugin_info();

}  // namespace backend::plugins::scheduler
