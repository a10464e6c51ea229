#include "plugins/scheduler/scheduler_plugin.h"

#include <algorithm>

#include "plugins/scheduler/next_due.h"
#include "plugins/scheduler/next_runs.h"
#include "protocol/coerce.h"
#include "plugins/scheduler/uuid.h"
#include "protocol/job_name.h"
#include "worker/common/log.h"

namespace backend::plugins::scheduler {
namespace {

Reply failed(std::string error) { return {Code::kFailed, {}, std::move(error)}; }

Reply ok(std::string data = {}) { return {Code::kOk, std::move(data), {}}; }

std::string quoted(const std::string& s) {
  std::string out;
  protocol::append_json_string(out, s);
  return out;
}

std::string no_schedule(const std::string& job, const std::string& uuid) {
  return "schedule " + quoted(uuid) + " of job " + quoted(job) + " does not exist";
}

}  // namespace

SchedulerPlugin::SchedulerPlugin(Clock clock) : clock_(std::move(clock)) {}

SchedulerPlugin::~SchedulerPlugin() {
  *alive_ = false;
  close();
}

std::optional<std::string> SchedulerPlugin::configure(const rapidjson::Value& settings) {
  if (!settings.IsObject()) return "the scheduler plugin's settings must be an object";
  if (settings.MemberCount() > 0) {
    const auto& name = settings.MemberBegin()->name;
    return "unknown setting " + quoted({name.GetString(), name.GetStringLength()}) +
           " of the scheduler plugin: it takes none";
  }
  dues_.clear();  // a reload is when a changed local time zone is taken in
  return std::nullopt;
}

void SchedulerPlugin::inited(Host& host) {
  loop_ = host.loop;
  jobs_ = host.jobs;
  host_segment_ = host.segment;
  if (host_segment_)
    for (const shm::ScheduleRecord& r : host_segment_->schedules().read()) runs_total_[{r.job, r.uuid}] = r.runs;
  store_ = std::make_unique<ScheduleStore>(host.data_dir);
  for (const auto& problem : store_->load()) spdlog::error("scheduler: {}", problem);
  for (const auto& [job, schedules] : store_->schedules()) {
    // Deleted while the plugin was not loaded; kept in case the job comes back.
    if (!jobs_ || !jobs_->settings(job)) {
      spdlog::warn("scheduler: job \"{}\" does not exist; its {} schedule(s) wait for it", job, schedules.size());
    }
  }
  writer_ = std::make_unique<SerialWriter>(loop_);
  timer_ = std::make_unique<Timer>(loop_);
  arm();
}

void SchedulerPlugin::close() {
  if (timer_) timer_->close();
  timer_.reset();
}

// What every command but GETALL names first: the job, then (but for ADD)
// the schedule; false, with the FAILED reply given, when it is not there.
bool SchedulerPlugin::read_target(const rapidjson::Value& params, bool with_uuid, Target& target,
                                  const Done& done) const {
  std::string error;
  auto job = store_ ? protocol::job_name_param(params, error) : std::nullopt;
  if (!store_) error = "the scheduler is not started yet";
  std::optional<std::string> uuid;
  if (job && with_uuid) uuid = read_uuid(params, error);
  if (!job || (with_uuid && !uuid)) {
    done(failed(error));
    return false;
  }
  target = {std::string(*job), uuid.value_or("")};
  return true;
}

void SchedulerPlugin::add_command(const rapidjson::Value& params, Done done) {
  Target t;
  if (!read_target(params, false, t, done)) return;
  std::string error;
  auto change = read_change(params, true, error);
  if (!change) return done(failed(error));
  add(t.job, std::move(*change), std::move(done));
}

void SchedulerPlugin::update_command(const rapidjson::Value& params, Done done) {
  Target t;
  if (!read_target(params, true, t, done)) return;
  std::string error;
  auto change = read_change(params, false, error);
  if (!change) return done(failed(error));
  update(t.job, t.uuid, std::move(*change), std::move(done));
}

void SchedulerPlugin::delete_command(const rapidjson::Value& params, Done done) {
  Target t;
  if (read_target(params, true, t, done)) remove(t.job, t.uuid, std::move(done));
}

void SchedulerPlugin::get_command(const rapidjson::Value& params, Done done) {
  Target t;
  if (read_target(params, true, t, done)) get(t.job, t.uuid, false, done);
}

void SchedulerPlugin::getlog_command(const rapidjson::Value& params, Done done) {
  Target t;
  if (read_target(params, true, t, done)) get(t.job, t.uuid, true, done);
}

void SchedulerPlugin::getall_command(const rapidjson::Value&, Done done) {
  if (!store_) return done(failed("the scheduler is not started yet"));
  // A copy without hidden jobs only while a DELETE is being saved.
  done(ok(removing_.empty() ? schedules_json(store_->schedules()) : schedules_json(live_schedules())));
}

// The runs due over the next `hours` (24 unless given, at most a week), at
// most kMaxPlanned of them.
void SchedulerPlugin::nextruns_command(const rapidjson::Value& params, Done done) {
  constexpr size_t kMaxPlanned = 1000;
  if (!store_) return done(failed("the scheduler is not started yet"));
  int64_t hours = 24;
  if (params.IsObject() && params.HasMember("hours")) {
    auto h = protocol::coerce_int(params["hours"]);
    if (!h || *h < 1 || *h > 168) return done(failed("hours must be an integer from 1 to 168"));
    hours = *h;
  }
  time_t now = std::time(nullptr);
  done(ok(planned_runs_json(next_runs(live_schedules(), now, now + hours * 3600, kMaxPlanned))));
}

std::span<const CommandSpec> SchedulerPlugin::commands() {
  static constexpr CommandSpec kCommands[] = {
      {"SCHEDULER.ADD", true, true, handler<&SchedulerPlugin::add_command>},
      {"SCHEDULER.DELETE", true, true, handler<&SchedulerPlugin::delete_command>},
      {"SCHEDULER.UPDATE", true, true, handler<&SchedulerPlugin::update_command>},
      {"SCHEDULER.GET", true, false, handler<&SchedulerPlugin::get_command>},
      {"SCHEDULER.GETALL", false, false, handler<&SchedulerPlugin::getall_command>},
      {"SCHEDULER.GETLOG", true, false, handler<&SchedulerPlugin::getlog_command>},
      {"SCHEDULER.NEXTRUNS", false, false, handler<&SchedulerPlugin::nextruns_command>},
  };
  return kCommands;
}

void SchedulerPlugin::finished(std::string_view command, const rapidjson::Value& params, Code code) {
  if (code != Code::kOk || !store_ || !params.IsObject()) return;
  if (is(command, CoreCommand::kAdd)) return arm();  // schedules waiting for this job may be due
  if (!is(command, CoreCommand::kDelete)) return;
  auto job = params.FindMember("jobname");
  if (job == params.MemberEnd() || !job->value.IsString()) return;
  remove_job({job->value.GetString(), job->value.GetStringLength()});
}

// A deleted job's schedules leave the file in the background, after DELETE
// was answered; they are hidden from then on.
Schedules SchedulerPlugin::live_schedules() const {
  Schedules all = store_->schedules();
  std::erase_if(all, [this](const auto& entry) { return removing_.count(entry.first) > 0; });
  return all;
}

void SchedulerPlugin::get(const std::string& job, const std::string& uuid, bool log, const Done& done) const {
  if (removing_.count(job)) return done(failed("job " + quoted(job) + " does not exist"));
  const Schedule* s = store_->find(job, uuid);
  if (!s) return done(failed(no_schedule(job, uuid)));
  done(ok(log ? runs_json(store_->runs(job, uuid)) : schedule_json(*s)));
}

std::optional<std::string> SchedulerPlugin::same_condition(const std::string& job, const Condition& c,
                                                           const std::string& except) const {
  auto j = store_->schedules().find(job);
  if (j == store_->schedules().end()) return std::nullopt;
  std::string canonical = c.canonical();
  for (const auto& [uuid, s] : j->second) {
    if (uuid != except && s.condition.canonical() == canonical) return uuid;
  }
  return std::nullopt;
}

void SchedulerPlugin::add(const std::string& job, ScheduleChange change, Done done) {
  changes_.push([this, job, change = std::move(change), done = std::move(done)](std::function<void()> next) {
    // Checked here, not when received: earlier changes in the queue count.
    if (!jobs_ || !jobs_->settings(job)) {
      done(failed("job " + quoted(job) + " does not exist"));
      return next();
    }
    if (auto other = same_condition(job, *change.condition, {})) {
      done(failed("job " + quoted(job) + " already has a schedule with this condition: " + *other));
      return next();
    }
    std::string uuid = random_uuid();
    while (store_->find(job, uuid)) uuid = random_uuid();
    JobSchedules mine = schedules_of(job);
    mine[uuid] = {*change.enable, change.condition_json, *change.condition};
    since_[{job, uuid}] = now();  // forgotten by commit() if the schedule is not saved
    commit(job, std::move(mine), [uuid, done, next](std::optional<std::string> error) {
      done(error ? failed(*error) : ok(quoted(uuid)));
      next();
    });
  });
}

void SchedulerPlugin::update(const std::string& job, const std::string& uuid, ScheduleChange change, Done done) {
  changes_.push([this, job, uuid, change = std::move(change), done = std::move(done)](std::function<void()> next) {
    const Schedule* current = store_->find(job, uuid);
    if (!current) {
      done(failed(no_schedule(job, uuid)));
      return next();
    }
    std::optional<std::string> other;
    if (change.condition && (other = same_condition(job, *change.condition, uuid))) {
      done(failed("job " + quoted(job) + " already has a schedule with this condition: " + *other));
      return next();
    }
    if (!change.enable && !change.condition) {
      done(ok());
      return next();
    }
    JobSchedules mine = schedules_of(job);
    Schedule& s = mine[uuid];
    if (change.enable) s.enable = *change.enable;
    if (change.condition) {
      s.condition = *change.condition;
      s.condition_json = change.condition_json;
    }
    since_[{job, uuid}] = now();  // a new condition or a re-enabled one does not run for the past
    commit(job, std::move(mine), [done, next](std::optional<std::string> error) {
      done(error ? failed(*error) : ok());
      next();
    });
  });
}

void SchedulerPlugin::remove(const std::string& job, const std::string& uuid, Done done) {
  changes_.push([this, job, uuid, done = std::move(done)](std::function<void()> next) {
    if (!store_->find(job, uuid)) {
      done(failed(no_schedule(job, uuid)));
      return next();
    }
    JobSchedules mine = schedules_of(job);
    mine.erase(uuid);
    commit(job, std::move(mine), [done, next](std::optional<std::string> error) {
      done(error ? failed(*error) : ok());
      next();
    });
  });
}

void SchedulerPlugin::remove_job(const std::string& job) {
  removing_.insert(job);
  changes_.push([this, job](std::function<void()> next) {
    auto done = [this, job, next] {
      removing_.erase(job);
      next();
    };
    if (!store_->schedules().count(job)) return done();
    commit(job, {}, [job, done](std::optional<std::string> error) {
      if (error) spdlog::error("scheduler: the schedules of deleted job \"{}\" remain: {}", job, *error);
      done();
    });
  });
}

// Only the job's schedules are copied, changed and handed over: a copy of
// every schedule per change was a third of an ADD's time at 1,000 schedules.
void SchedulerPlugin::commit(const std::string& job, JobSchedules next, Committed then) {
  auto pending = std::make_shared<JobSchedules>(std::move(next));
  std::string content = schedules_json(store_->schedules(), job, *pending);
  writer_->write(store_->schedules_path(), std::move(content),
                 [this, job, pending, then = std::move(then)](std::optional<std::string> error) {
                   if (error) {
                     forget_deleted(job);
                     return then("could not save the schedules: " + *error);
                   }
                   if (store_->set_job(job, std::move(*pending))) save_history(job);
                   forget_deleted(job);
                   // Published before the reply goes: a client that asks
                   // /metrics once it has its answer finds the schedule.
                   arm();
                   then(std::nullopt);
                 });
}

void SchedulerPlugin::save_history(const std::string& job) {
  auto log_error = [job](std::optional<std::string> error) {
    if (error) spdlog::error("scheduler: run history of job \"{}\" not saved: {}", job, *error);
  };
  std::string content = store_->history_json(job);
  if (content.empty()) {
    writer_->remove(store_->history_path(job), log_error);
  } else {
    writer_->write(store_->history_path(job), std::move(content), log_error);
  }
}

// What is kept per schedule goes with the schedule.
void SchedulerPlugin::forget_deleted(const std::string& job) {
  auto kept = [this](const Key& k) { return store_->find(k.first, k.second) != nullptr; };
  for (auto it = since_.lower_bound({job, {}}); it != since_.end() && it->first.first == job;)
    it = kept(it->first) ? std::next(it) : since_.erase(it);
  dues_.keep_only(job, kept);
}

JobSchedules SchedulerPlugin::schedules_of(const std::string& job) const {
  auto it = store_->schedules().find(job);
  return it == store_->schedules().end() ? JobSchedules{} : it->second;
}

time_t& SchedulerPlugin::since(const Key& key, time_t now) {
  time_t& t = since_.try_emplace(key, now).first->second;
  if (t > now) t = now;  // the wall clock went back: due times count from now
  return t;
}

// Every schedule's times go to shared memory as the timer is armed
// (/metrics), with the runs counted since the server started.
void SchedulerPlugin::arm() {
  if (!timer_) return;
  int64_t now_ms = clock_();
  time_t now_s = static_cast<time_t>(now_ms / 1000);
  std::optional<time_t> soonest;
  bool any = false;
  published_.clear();
  for (const auto& [job, schedules] : store_->schedules()) {
    for (const auto& [uuid, s] : schedules) {
      const Key key{job, uuid};  // made once: three lookups by it follow
      shm::ScheduleRecord& r = published_.emplace_back(record_of(key));
      if (!runnable(job, s)) continue;
      any = true;
      auto due = dues_.next(key, s.condition, since(key, now_s));
      if (due && (!soonest || *due < *soonest)) soonest = due;
      r.next_at = due.value_or(0);
    }
  }
  if (host_segment_) host_segment_->schedules().publish(published_);
  if (!any) return timer_->stop();
  int64_t target = now_ms + static_cast<int64_t>(kRecheckMs);
  if (soonest) target = std::min<int64_t>(target, static_cast<int64_t>(*soonest) * 1000);
  // The timer counts from the loop's idea of now, which may be stale.
  uv_update_time(loop_);
  timer_->start(static_cast<uint64_t>(std::max<int64_t>(target - now_ms, 0)), [this] { fire(); });
}

void SchedulerPlugin::fire() {
  time_t now_s = now();
  std::vector<Key> due;
  for (const auto& [job, schedules] : store_->schedules()) {
    for (const auto& [uuid, s] : schedules) {
      if (!runnable(job, s)) continue;
      time_t& from = since({job, uuid}, now_s);
      auto at = dues_.next({job, uuid}, s.condition, from);
      // Missed instants (a suspended machine) make one run, not many.
      if (at && *at <= now_s) due.emplace_back(job, uuid);
      from = now_s;
      dues_.advanced({job, uuid}, now_s);
    }
  }
  for (const auto& [job, uuid] : due) start_scheduled(job, uuid);
  arm();
}

bool SchedulerPlugin::runnable(const std::string& job, const Schedule& s) const {
  return s.enable && jobs_ && jobs_->settings(job);
}

void SchedulerPlugin::start_scheduled(const std::string& job, const std::string& uuid) {
  if (jobs_->running(job) || starting_.count(job)) {
    spdlog::info("scheduler: schedule {} of job \"{}\" is due but the job is still running; not started", uuid, job);
    return;
  }
  starting_.insert(job);
  time_t at = now();
  jobs_->start(job, shm::StartReason::kScheduler, [this, alive = alive_, job, uuid, at](Code code, const std::string& error) {
    if (!*alive) return;
    starting_.erase(job);
    if (code != Code::kOk) {
      spdlog::warn("scheduler: schedule {} could not start job \"{}\": {}", uuid, job, error);
      return;
    }
    if (!store_->find(job, uuid)) return;  // deleted while it started
    store_->record_run(job, uuid, at);
    ++runs_total_[{job, uuid}];
    save_history(job);
    arm();  // republishes this one's last run
  });
}

shm::ScheduleRecord SchedulerPlugin::record_of(const Key& key) {
  const auto& [job, uuid] = key;
  shm::ScheduleRecord r{};
  std::snprintf(r.job, sizeof r.job, "%s", job.c_str());
  std::snprintf(r.uuid, sizeof r.uuid, "%s", uuid.c_str());
  const RunTimes& runs = store_->runs(job, uuid);
  r.last_at = runs.empty() ? 0 : runs.front();
  // Counted since the server started; a supervisor started again takes the
  // count over from shared memory, else from the runs the file keeps.
  auto [it, fresh] = runs_total_.try_emplace(key, runs.size());
  r.runs = it->second;
  return r;
}

namespace {

std::unique_ptr<Plugin> make() { return std::make_unique<SchedulerPlugin>(); }

}  // namespace

const PluginInfo& scheduler_plugin_info() {
  static const PluginInfo info{"scheduler", Side::kSupervisor, SchedulerPlugin::commands(), &make};
  return info;
}

}  // namespace backend::plugins::scheduler
