#include "worker/supervisor/supervisor.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

#include "protocol/job_name.h"
#include "protocol/job_settings.h"
#include "protocol/request.h"
#include "shm/job_table.h"
#include "worker/common/log.h"
#include "worker/supervisor/job_spawn.h"
#include "worker/supervisor/plugin_files.h"
#include "worker/common/server_log.h"

namespace backend::worker {
namespace {

using protocol::Code;

// What the job table keeps beside a job's settings: READ's line count and
// the marks STATUS shows (a cluster job's copy).
struct SlotFacts {
  uint32_t buffersize = 20;
  uint32_t marks = 0;
};

SlotFacts slot_facts(const std::string& settings_json) {
  rapidjson::Document d;
  d.Parse(settings_json.c_str(), settings_json.size());
  SlotFacts facts;
  if (!d.IsObject()) return facts;
  if (d.HasMember("buffersize") && d["buffersize"].IsUint()) facts.buffersize = d["buffersize"].GetUint();
  if (!protocol::cluster_of_settings(d).empty()) facts.marks |= shm::kJobCluster;
  return facts;
}

std::string job_error(const std::string& job, const char* what) { return "job \"" + job + "\" " + what; }

// A plugin's change is answered to the plugin and its result logged, as a
// client's is by reply().
plugins::JobControl::Result logged(plugins::JobControl::Result result) {
  return [result = std::move(result)](Code code, const std::string& error) {
    log_result(code, error);
    result(code, error);
  };
}

}  // namespace

Supervisor::Supervisor(WorkerContext& ctx)
    : ctx_(ctx), seg_(*ctx.segment), plugins_(ctx.plugins, protocol::Side::kSupervisor) {
  uv_loop_init(&loop_);
  if (auto err = plugins_.load(ctx_.config)) spdlog::error("supervisor: {}", *err);
  store_ = std::make_unique<SettingsStore>(&loop_, ctx_.config.data_dir + "/jobs.json");
  jobs_ = std::make_unique<Jobs>(&loop_, seg_, ctx_.config.data_dir + "/log", ctx_.config.interpreters);
  channel_ = std::make_unique<Channel>(
      &loop_, ctx_.channel_fd, [this](ChannelKind kind, uint64_t id, std::string_view p) { on_channel(kind, id, p); },
      [this](uint64_t id) { seg_.header().supervisor_taken.store(id); });
  jobs_->set_on_exit([this](const std::string& job, bool requested, int64_t uptime) {
    plugins_.job_exited({job, requested, uptime});
  });
  auto on_signal = [](uv_signal_t* s, int signum) {
    auto* self = static_cast<Supervisor*>(s->data);
    if (signum == SIGTERM) self->stop();
    if (signum == master_death_signal()) self->on_master_death();
    if (signum == SIGHUP) self->reload();
    if (signum == SIGUSR1) log_reopen();
    if (signum == SIGCHLD) self->jobs_->reap();
  };
  for (auto [sig, handle] :
       {std::pair{SIGTERM, &sigterm_}, {SIGHUP, &sighup_}, {SIGUSR1, &sigusr1_}, {SIGCHLD, &sigchld_},
        {master_death_signal(), &master_death_}}) {
    uv_signal_init(&loop_, handle);
    handle->data = this;
    uv_signal_start(handle, on_signal, sig);
  }
  uv_prepare_init(&loop_, &turn_end_);
  turn_end_.data = this;
  uv_prepare_start(&turn_end_, [](uv_prepare_t* p) {
    auto* self = static_cast<Supervisor*>(p->data);
    log_wake_writer();
    if (self->control_) self->control_->flush();
  });
}

int Supervisor::run() {
  if (auto err = store_->load()) {
    spdlog::error("supervisor: {}", *err);
    return 78;  // EX_CONFIG: the master backs off instead of spinning
  }
  publish_all();
  seg_.header().table_ready.store(1, std::memory_order_release);
  plugins_.inited(plugins::Host{&loop_, &seg_, ctx_.config.data_dir + "/plugins", ctx_.config.data_dir + "/log",
                                ctx_.server_start, this, {}});
  if (ctx_.control_fd >= 0) {
    control_ = std::make_unique<Control>(
        &loop_, ctx_.control_fd, [this](ControlMessage& m, std::vector<int>& fds) { on_control(m, fds); });
    jobs_->takeover().set_master([this](const ControlMessage& m, const std::vector<int>& fds, Takeover::When when) {
      if (when == Takeover::When::kThisTurn && fds.empty()) return control_->send_later(m);
      control_->send(m, fds);
    });
    // Whatever a previous supervisor left running comes back first.
    control_->send(Take{getpid()});
  }
  // Tell the listener which of its requests died with a previous supervisor.
  taken_before_ = seg_.header().supervisor_taken.load();
  channel_->send(ChannelKind::kHello, 0, encode(Hello{taken_before_}));
  // From here every line of this thread is written at the end of its turn.
  log_defer_wakes_on_this_thread();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  return 0;
}

void Supervisor::on_channel(ChannelKind kind, uint64_t id, std::string_view payload) {
  // Whatever else waits: the listener asks whether this loop turns.
  if (kind == ChannelKind::kPing) return channel_->send(ChannelKind::kReply, id, "{}");
  // A predecessor may have died between noting a request and consuming it:
  // Hello has already told the listener it failed, so it must not happen now.
  if (id >> 32 == taken_before_ >> 32 && id <= taken_before_) return;
  if (kind == ChannelKind::kSaveFile) return save_plugin_file(id, payload);
  if (kind != ChannelKind::kRequest) return spdlog::error("supervisor: a channel message of kind {} dropped", int(kind));
  on_request(id, payload);
}

void Supervisor::on_request(uint64_t id, std::string_view payload) {
  // Until the master has handed back the jobs left running, which job runs
  // is not known: a DELETE could remove a job whose process lives on.
  if (jobs_->takeover().wait_for_take([this, id, p = std::string(payload)] { on_request(id, p); })) return;
  auto request = std::make_unique<protocol::Request>();
  protocol::Request& req = *request;
  if (auto err = protocol::parse_request(payload, req)) return reply(id, Code::kFailed, *err);
  in_flight_[id] = std::move(request);
  const Command* command = plugins_.commands().find(req.command);
  if (command && command->plugin) return run_plugin(id, *command);
  if (!command || !command->core || command->side != protocol::Side::kSupervisor)
    return reply(id, Code::kUnknown, "unknown command \"" + req.command + "\"");
  std::string error;
  auto name = protocol::job_name_param(req.params, error);
  if (!name) return reply(id, Code::kFailed, error);
  std::string job(*name);
  using enum protocol::CoreCommand;
  switch (protocol::CoreCommand id_of = command->core->id) {
    case kAdd: return add(id, job, req.params);
    case kUpdate: return update(id, job, req.params);
    case kDelete: return remove(id, job);
    case kStart: case kStop: case kRestart: return control(id, id_of, job);
    default: return reply(id, Code::kUnknown, "unknown command \"" + req.command + "\"");
  }
}

void Supervisor::control(uint64_t id, protocol::CoreCommand cmd, const std::string& job) {
  if (stopping_) return reply(id, Code::kFailed, "the server is stopping");
  const std::string* settings = startable(job);
  if (!settings) return reply(id, Code::kFailed, job_error(job, "does not exist"));
  auto done = [this, id](Code code, const std::string& error) { reply(id, code, error); };
  if (cmd == protocol::CoreCommand::kStart)
    jobs_->start(job, *settings, done);
  else if (cmd == protocol::CoreCommand::kStop)
    jobs_->stop(job, done);
  else
    jobs_->restart(job, *settings, done);
}

void Supervisor::on_control(ControlMessage& message, std::vector<int>& fds) {
  // Answers to a Take are addressed: one a dead supervisor asked for is not
  // this one's.
  auto mine = [](pid_t to) { return to == getpid(); };
  if (auto* m = std::get_if<Held>(&message); m && mine(m->supervisor)) return adopt_held(*m, fds);
  if (auto* m = std::get_if<Orphan>(&message); m && mine(m->supervisor)) return adopt_orphan(*m);
  if (auto* m = std::get_if<Taken>(&message); m && mine(m->supervisor))
    return jobs_->takeover().adopt_unheld([this](const std::string& name) { return store_->find_saved(name); });
  if (auto* m = std::get_if<Exit>(&message)) return jobs_->takeover().master_reaped(m->pid, m->status);
}

void Supervisor::adopt_held(const Held& held, std::vector<int>& fds) {
  shm::JobInfo info;
  if (!seg_.table().read(held.slot, info)) {
    // Its job was deleted meanwhile: nothing may run for it.
    spdlog::warn("supervisor: pid {} was handed back for slot {}, which holds no job now; stopping it", held.pid,
                 held.slot);
    if (!held.exited) kill(-held.pid, SIGTERM);
    control_->send(Release{held.pid});
    return;
  }
  const std::string* settings = store_->find_saved(info.name);
  jobs_->takeover().adopt(info.name, settings ? *settings : "{}", held.pid, held.slot, held.ticks, fds, held.exited,
                          held.status);
}

// A job a server killed outright left behind: adopted without its output,
// then stopped if the config says so; one that died meanwhile is recorded
// as exited, which lets the guarder start it again.
void Supervisor::adopt_orphan(const Orphan& orphan) {
  const std::string& name = orphan.name;
  auto slot = seg_.table().find(name);
  const std::string* settings = store_->find_saved(name);
  if (!slot || !settings) {
    if (orphan.alive) {
      spdlog::warn("supervisor: job \"{}\" (pid {}) is no job any more; stopping it", name, orphan.pid);
      kill(-orphan.pid, SIGTERM);
    }
    control_->send(Release{orphan.pid});
    return;
  }
  jobs_->takeover().adopt_orphan(name, *settings, orphan.pid, *slot, orphan.ticks, orphan.alive);
  if (orphan.alive && ctx_.config.orphaned_jobs == "stop") jobs_->stop(name, [](Code, const std::string&) {});
}

// Answered unlogged: the listener logs the client's command and its result.
void Supervisor::save_plugin_file(uint64_t id, std::string_view payload) {
  SaveFile save;
  std::string path;
  auto err = decode_save_file(payload, save);
  if (!err) err = plugin_file_target(save, ctx_.plugins, ctx_.config.data_dir, path);
  if (err) return channel_->send(ChannelKind::kReply, id, protocol::reply_json(Code::kFailed, {}, *err));
  write_plugin_file(&loop_, std::move(path), std::move(save.content), ctx_.listener_gid,
                    [this, id](std::optional<std::string> err) {
                      channel_->send(ChannelKind::kReply, id,
                                     protocol::reply_json(err ? Code::kFailed : Code::kOk, {}, err.value_or("")));
                    });
}

void Supervisor::run_plugin(uint64_t id, const Command& command) {
  const protocol::Request& req = *in_flight_[id];
  command.spec->handler(*command.plugin, req.params,
                        [this, id](plugins::Reply r) { reply(id, r.code, r.error, r.data); });
}

void Supervisor::reply(uint64_t id, Code code, std::string_view error, std::string_view data) {
  auto it = in_flight_.find(id);
  bool logged = true;
  if (it != in_flight_.end()) {
    const Command* command = plugins_.commands().find(it->second->command);
    logged = !command || command->changes_state;
    plugins_.finished(it->second->command, it->second->params, code);
    in_flight_.erase(it);
  }
  if (logged) log_result(code, error);
  channel_->send(ChannelKind::kReply, id, protocol::reply_json(code, data, error));
}

std::vector<std::string> Supervisor::job_names() const {
  std::vector<std::string> names;
  for (const auto& [name, settings] : store_->saved()) names.push_back(name);
  return names;
}

const std::string* Supervisor::settings(const std::string& job) const { return store_->find_saved(job); }

// Saved settings, of a job not being deleted: a START between a DELETE and
// its save would run a process for a job that is gone a moment later.
const std::string* Supervisor::startable(const std::string& job) const {
  return store_->find(job) ? store_->find_saved(job) : nullptr;
}

bool Supervisor::running(const std::string& job) const { return jobs_->running(job); }

// A plugin's START is logged as a client's would be, with its result.
void Supervisor::start(const std::string& job, shm::StartReason reason, Result result) {
  spdlog::info("START {{\"jobname\":\"{}\"}} (by a plugin)", job);
  auto done = logged(std::move(result));
  if (stopping_) return done(Code::kFailed, "the server is stopping");
  const std::string* saved = startable(job);
  if (!saved) return done(Code::kFailed, job_error(job, "does not exist"));
  jobs_->start(job, *saved, std::move(done), reason);
}

void Supervisor::add(uint64_t id, const std::string& job, const rapidjson::Value& params) {
  if (store_->find(job)) return reply(id, Code::kFailed, job_error(job, "already exists"));
  if (store_->jobs().size() >= seg_.header().capacity)
    return reply(id, Code::kFailed,
                 "the job table is full (job_capacity " + std::to_string(seg_.header().capacity) + ")");
  if (!protocol::cluster_of_settings(params).empty())
    return reply(id, Code::kFailed, "\"cluster\" is set by the cluster agent only: add cluster jobs with CLUSTER.APPLY");
  rapidjson::Document settings;
  if (auto err = protocol::settings_for_add(params, settings)) return reply(id, Code::kFailed, *err);
  store_->put(job, protocol::to_json(settings));
  save_then_publish(id, job);
}

void Supervisor::update(uint64_t id, const std::string& job, const rapidjson::Value& params) {
  const std::string* current = store_->find(job);
  if (!current) return reply(id, Code::kFailed, job_error(job, "does not exist"));
  rapidjson::Document old, merged;
  old.Parse(current->c_str(), current->size());
  if (!protocol::cluster_of_settings(old).empty() || params.HasMember("cluster"))
    return reply(id, Code::kFailed, job_error(job, "is a cluster job: change it with CLUSTER.APPLY"));
  if (auto err = protocol::settings_for_update(params, old, merged)) return reply(id, Code::kFailed, *err);
  store_->put(job, protocol::to_json(merged));
  save_then_publish(id, job);
}

void Supervisor::remove(uint64_t id, const std::string& job) {
  const std::string* current = store_->find(job);
  if (!current) return reply(id, Code::kFailed, job_error(job, "does not exist"));
  if (rapidjson::Document old; !protocol::cluster_of_settings(old.Parse(current->c_str(), current->size())).empty())
    return reply(id, Code::kFailed, job_error(job, "is a cluster job: remove it with CLUSTER.APPLY"));
  if (jobs_->running(job)) return reply(id, Code::kFailed, job_error(job, "is running: stop it first"));
  store_->erase(job);
  jobs_->forget(job);
  save_then_publish(id, job);
}

// Others see a change only once it is on disk, so nothing they saw can be
// lost by a crash.
void Supervisor::save_then_publish(uint64_t id, const std::string& job) {
  save_then_publish(job, [this, id](Code code, const std::string& error) { reply(id, code, error); });
}

void Supervisor::save_then_publish(const std::string& job, Result done) {
  store_->commit([this, job, done = std::move(done)](const std::string& error) {
    if (!error.empty()) {
      spdlog::error("supervisor: {}", error);
      return done(Code::kFailed, error);
    }
    publish(job);
    done(Code::kOk, {});
  });
}

// The cluster agent's changes, logged as a client's are (with their result)
// and marked as the cluster's.
void Supervisor::put(const std::string& job, const std::string& settings, Result result) {
  bool exists = store_->find(job) != nullptr;
  spdlog::info("{} {} (by the cluster)", exists ? "UPDATE" : "ADD", settings);
  auto done = logged(std::move(result));
  if (stopping_) return done(Code::kFailed, "the server is stopping");
  if (!exists && store_->jobs().size() >= seg_.header().capacity)
    return done(Code::kFailed,
                "the job table is full (job_capacity " + std::to_string(seg_.header().capacity) + ")");
  std::string stored;
  if (auto err = protocol::settings_for_put(job, settings, stored)) return done(Code::kFailed, *err);
  store_->put(job, std::move(stored));
  save_then_publish(job, std::move(done));
}

void Supervisor::stop(const std::string& job, Result result) {
  spdlog::info("STOP {{\"jobname\":\"{}\"}} (by the cluster)", job);
  auto done = logged(std::move(result));
  if (!store_->find(job)) return done(Code::kFailed, job_error(job, "does not exist"));
  jobs_->stop(job, std::move(done));
}

void Supervisor::remove(const std::string& job, Result result) {
  spdlog::info("DELETE {{\"jobname\":\"{}\"}} (by the cluster)", job);
  auto done = logged(std::move(result));
  if (!store_->find(job)) return done(Code::kFailed, job_error(job, "does not exist"));
  if (jobs_->running(job)) return done(Code::kFailed, job_error(job, "is running: stop it first"));
  store_->erase(job);
  jobs_->forget(job);
  save_then_publish(job, std::move(done));
}

void Supervisor::publish(const std::string& job) {
  const std::string* settings = store_->find_saved(job);
  if (!settings)
    seg_.table().remove(job);
  else if (SlotFacts facts = slot_facts(*settings); !seg_.table().put(job, *settings, facts.buffersize, facts.marks))
    spdlog::error("supervisor: no slot left in shared memory for job \"{}\"", job);
}

// Makes the table match the saved settings: after a start, or after a
// predecessor died half-way through a write.
void Supervisor::publish_all() {
  seg_.table().repair([this](std::string_view name) { return store_->find_saved(std::string(name)) != nullptr; });
  for (const auto& [name, settings] : store_->saved()) publish(name);
}

void Supervisor::reload() {
  if (apply_published_config(ctx_, plugins_, "supervisor")) jobs_->set_interpreters(ctx_.config.interpreters);
}

// A master that died unasked (a crash, the OOM killer, kill -9) is a server
// killed outright, not an operator's stop: the jobs are left running for
// the next start to adopt (or stop, orphaned_jobs), as if the whole server
// had been killed, and plugins record nothing (an at_least_once run cut
// short this way runs again). A stop already under way goes on: it was
// asked for.
void Supervisor::on_master_death() {
  if (stopping_) return;
  spdlog::error("supervisor: the master died; its jobs are left running for the next start");
  log_flush();
  _exit(1);
}

// Jobs are stopped as STOP would, each within its stoptimeout, before the
// loop ends.
void Supervisor::stop() {
  if (stopping_) return;
  stopping_ = true;
  jobs_->stop_all([this] { plugins_.stopped([this] { close_loop(); }); });
}

void Supervisor::close_loop() {
  plugins_.close();
  jobs_->close_handles();
  uv_walk(
      &loop_, [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h) && h->type != UV_POLL) uv_close(h, nullptr);
      },
      nullptr);
  channel_->close();
  if (control_) {
    control_->flush();
    control_->close();
  }
}

int run_supervisor(WorkerContext& ctx) {
  // First, while the fd table is short: a job's spawn copies every fd below
  // the ones reserved here.
  if (!reserve_spawn_fds()) spdlog::warn("supervisor: spawning jobs through posix_spawn: {}", std::strerror(errno));
  Supervisor supervisor(ctx);
  return supervisor.run();
}

}  // namespace backend::worker
