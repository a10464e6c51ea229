#include "plugins/cluster/cluster_plugin.h"

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>

#include "conf/cluster_config.h"
#include "plugins/cluster/etcd_client.h"
#include "plugins/cluster/job_definition.h"
#include "plugins/cluster/keys.h"
#include "plugins/cluster/libcurl.h"
#include "plugins/cluster/partition_timer.h"
#include "plugins/cluster/placement.h"
#include "plugins/cluster/snapshot.h"
#include "plugins/timer.h"
#include "plugins/wall_clock.h"
#include "protocol/job_settings.h"
#include "protocol/response.h"
#include "shm/job_table.h"
#include "worker/common/atomic_file.h"
#include "worker/common/log.h"
#include "worker/common/pool.h"

namespace backend::plugins::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using rapidjson::Value;
using std::chrono::milliseconds;

constexpr milliseconds kTick = 100ms;
constexpr milliseconds kPoll = 500ms;
// A host ranked n for a job whose owner key is gone waits n steps before
// claiming it: the best-ranked live host wins, with no vote.
constexpr milliseconds kClaimStep = 500ms;
// Room left between the stop of a job and the earliest its lease can lapse.
constexpr milliseconds kMargin = 1000ms;
// An owned job that exits is started again, at most this often.
constexpr milliseconds kRestartGap = 1000ms;
// Ticks of a schedule kept in etcd before the claimer of a newer one
// deletes them.
constexpr int64_t kTicksKept = 100;

std::string text_of(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// A job's settings as the supervisor stores them: what ADD makes of them.
std::string normalised(const std::string& job, const std::string& settings) {
  std::string stored;
  return protocol::settings_for_put(job, settings, stored) ? settings : stored;
}

int64_t monotonic_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

class Agent final : public Plugin {
 public:
  std::optional<std::string> configure(const rapidjson::Value& settings) override {
    conf::ClusterConfig config;
    if (auto err = conf::parse_cluster_config(settings, config)) return err;
    if (config.enabled && config.host.empty())
      if (auto err = conf::finish_cluster_config(config)) return err;
    // Loaded here, so that a host without libcurl is told when its
    // configuration is checked, not once the supervisor runs.
    if (config.enabled)
      if (auto err = load_libcurl()) return err;
    if (started_ && config != config_) return std::nullopt;  // cluster changes need a restart (conf)
    config_ = std::move(config);
    return std::nullopt;
  }

  void inited(Host& host) override {
    if (!config_.enabled) return;
    started_ = true;
    host_ = &host;
    jobs_ = host.jobs;
    keys_ = std::make_unique<Keys>(config_.name);
    client_ = std::make_unique<EtcdClient>(host.loop, config_.etcd, std::chrono::seconds(config_.request_timeout));
    lease_file_ = host.data_dir + "/lease";
    tick_ = std::make_unique<Timer>(host.loop);
    spdlog::info("cluster: host \"{}\" of cluster \"{}\", etcd {}", config_.host, config_.name, config_.etcd.front());
    // A lease this host held before a supervisor restart or an upgrade:
    // resumed while it lives, so that its jobs keep running.
    std::string path = lease_file_;
    auto saved = std::make_shared<std::string>();
    worker::run_in_pool(
        host.loop,
        [path, saved] {
          std::string error;
          if (auto text = worker::read_file(path, error)) *saved = *text;
        },
        [this, saved, alive = alive_] {
          if (!*alive) return;
          read_lease_file(*saved);
          tick_->start(
              0, [this] { tick(); }, static_cast<uint64_t>(kTick.count()));
        });
  }

  void job_exited(const JobExit& exit) override {
    if (auto epoch = status_epochs_.find(exit.job); epoch != status_epochs_.end())
      publish_status(exit.job, "stopped", epoch->second);
    auto run = running_ticks_.find(exit.job);
    if (run == running_ticks_.end()) return;
    // The tick is done: kept (without the lease) so that no host runs it again.
    RunRecord record{config_.host, "done", 0, 0};
    if (!run->second.started) return;  // the exit of a run before it
    client_->put(keys_->run(exit.job, run->second.tick), run_value(record), 0, [](etcd::Parsed<etcd::PutResponse>) {});
    running_ticks_.erase(run);
  }

  void stopped(std::function<void()> done) override {
    if (!client_ || lease_ == 0) return done();
    // Every job has stopped: the lease goes, and with it the owner keys, so
    // that the next hosts claim the jobs now rather than when it lapses.
    spdlog::info("cluster: revoking lease {} so that this host's jobs move now", lease_);
    std::string path = lease_file_;
    client_->revoke(lease_, [this, done, path, alive = alive_](etcd::Parsed<etcd::LeaseRevoke> revoked) {
      if (*alive && !revoked) spdlog::warn("cluster: revoking the lease: {}", revoked.error.message);
      ::unlink(path.c_str());
      done();
    });
  }

  void close() override {
    *alive_ = false;
    if (tick_) tick_->close();
    if (client_) client_->close([] {});
  }

  void ls_command(const Value& params, Done done);
  void apply_command(const Value& params, Done done);
  void drain_command(const Value& params, Done done);
  void move_command(const Value& params, Done done);

 private:
  enum class LeaseState { kNone, kAsking, kHeld, kLost };

  void tick();
  void lease_step(Clock::time_point now);
  void on_lease_lost(const std::string& why);
  void save_lease(int64_t id, Clock::time_point sent, milliseconds ttl);
  void read_lease_file(const std::string& text);
  void fence_step(Clock::time_point now);
  void poll(Clock::time_point now);
  void reconcile(Clock::time_point now);
  void claim(const std::string& name, const std::vector<etcd::Compare>& compares, std::vector<etcd::Op> ops);
  void run_scheduled(const JobDefinition& def, Clock::time_point now, const std::vector<Candidate>& candidates);
  void keep_running(const JobDefinition& def, int64_t epoch, Clock::time_point now, const std::string& run_id = {});
  void let_go(const std::string& name);
  void publish_status(const std::string& name, const std::string& state, int64_t epoch);
  std::map<std::string, std::string> local_jobs() const;  // name -> settings, of this cluster's local jobs
  bool available() const;

  conf::ClusterConfig config_;
  bool started_ = false;
  Host* host_ = nullptr;
  JobControl* jobs_ = nullptr;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<EtcdClient> client_;
  std::unique_ptr<Timer> tick_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::string lease_file_;

  LeaseState lease_state_ = LeaseState::kNone;
  int64_t lease_ = 0;
  int64_t resume_ = 0;       // a lease to try before asking for a new one
  uint64_t generation_ = 0;  // answers about an older lease are dropped
  bool keepalive_in_flight_ = false;
  Clock::time_point last_keepalive_{};
  Clock::time_point next_grant_{};
  PartitionTimer timer_{kMargin};
  bool registered_ = false, registering_ = false;
  bool unreachable_logged_ = false;

  Snapshot snapshot_;
  bool have_snapshot_ = false;
  bool poll_in_flight_ = false, poll_now_ = true;
  Clock::time_point last_poll_{};

  std::map<std::string, Clock::time_point> absent_since_;  // owner key seen absent, per job
  // A schedule's current tick seen unclaimed, and since when, per job.
  std::map<std::string, std::pair<int64_t, Clock::time_point>> tick_seen_;
  std::set<std::string> claiming_;
  std::set<std::string> busy_;  // a put, start, stop or delete of the local job in flight
  std::map<std::string, Clock::time_point> last_start_;
  // A schedule's run claimed here, until its process exits.
  struct TickRun {
    int64_t tick = 0;
    int64_t epoch = 0;
    std::string run_id;
    bool started = false;
  };
  std::map<std::string, TickRun> running_ticks_;
  std::map<std::string, std::string> published_;  // job -> status value last put
  std::map<std::string, int64_t> status_epochs_;   // job -> the epoch its status last said
  std::set<std::string> conflicts_logged_;
};

bool Agent::available() const { return lease_state_ == LeaseState::kHeld && registered_; }

void Agent::tick() {
  auto now = Clock::now();
  lease_step(now);
  fence_step(now);
  if (available() && (poll_now_ || now - last_poll_ >= kPoll)) poll(now);
}

// ---- the lease ---------------------------------------------------------------

void Agent::read_lease_file(const std::string& text) {
  long long id = 0, sent_ns = 0, ttl_ms = 0;
  if (std::sscanf(text.c_str(), "%lld %lld %lld", &id, &sent_ns, &ttl_ms) != 3 || id <= 0) return;
  resume_ = id;
  // The monotonic clock is the machine's: a renewal the last supervisor saw
  // still vouches for the lease until it lapses.
  timer_.granted(Clock::time_point(std::chrono::nanoseconds(sent_ns)), milliseconds(ttl_ms));
}

void Agent::save_lease(int64_t id, Clock::time_point sent, milliseconds ttl) {
  std::string content =
      std::to_string(id) + " " + std::to_string(monotonic_ns(sent)) + " " + std::to_string(ttl.count()) + "\n";
  std::string path = lease_file_;
  worker::run_in_pool(
      host_->loop, [path, content] { worker::replace_file(path, content); }, [] {});
}

void Agent::lease_step(Clock::time_point now) {
  if (lease_state_ == LeaseState::kLost) {
    // Before anything else, every job the lost lease vouched for stops.
    for (const auto& [name, settings] : local_jobs())
      if (jobs_->running(name)) return;
    lease_state_ = LeaseState::kNone;
  }
  if (lease_state_ == LeaseState::kNone && now >= next_grant_) {
    lease_state_ = LeaseState::kAsking;
    uint64_t generation = ++generation_;
    if (resume_) {
      int64_t id = resume_;
      resume_ = 0;
      client_->keepalive(id, [this, id, now, generation, alive = alive_](etcd::Parsed<etcd::LeaseKeepAlive> kept) {
        if (!*alive || generation != generation_) return;
        if (kept && kept->alive()) {
          spdlog::info("cluster: resumed lease {} ({} s left)", id, kept->ttl);
          lease_ = id;
          lease_state_ = LeaseState::kHeld;
          last_keepalive_ = now;
          timer_.granted(now, std::chrono::seconds(kept->ttl));
          save_lease(id, now, std::chrono::seconds(kept->ttl));
        } else {
          if (kept) timer_.lost();  // answered: that lease is gone, and every owner key on it
          lease_state_ = LeaseState::kNone;
        }
      });
      return;
    }
    client_->grant(config_.lease_ttl, [this, now, generation, alive = alive_](etcd::Parsed<etcd::LeaseGrant> granted) {
      if (!*alive || generation != generation_) return;
      if (!granted) {
        if (!unreachable_logged_) spdlog::warn("cluster: no lease from etcd: {}", granted.error.message);
        unreachable_logged_ = true;
        lease_state_ = LeaseState::kNone;
        next_grant_ = Clock::now() + 500ms;
        return;
      }
      unreachable_logged_ = false;
      lease_ = granted->id;
      lease_state_ = LeaseState::kHeld;
      last_keepalive_ = now;
      timer_.granted(now, std::chrono::seconds(granted->ttl));
      save_lease(lease_, now, std::chrono::seconds(granted->ttl));
      spdlog::info("cluster: lease {} granted ({} s)", lease_, granted->ttl);
    });
    return;
  }
  if (lease_state_ == LeaseState::kHeld && !registered_ && !registering_) {
    registering_ = true;
    uint64_t generation = generation_;
    client_->put(keys_->host(config_.host), host_value(config_.address, config_.labels), lease_,
                 [this, generation, alive = alive_](etcd::Parsed<etcd::PutResponse> put) {
                   if (!*alive || generation != generation_) return;
                   registering_ = false;
                   if (!put) return;  // tried again on the next tick
                   registered_ = true;
                   poll_now_ = true;
                 });
  }
  milliseconds renew = renew_interval(std::chrono::seconds(config_.lease_ttl));
  if (lease_state_ == LeaseState::kHeld && !keepalive_in_flight_ && now - last_keepalive_ >= renew) {
    keepalive_in_flight_ = true;
    last_keepalive_ = now;
    uint64_t generation = generation_;
    client_->keepalive(lease_, [this, now, generation, alive = alive_](etcd::Parsed<etcd::LeaseKeepAlive> kept) {
      if (!*alive || generation != generation_) return;
      keepalive_in_flight_ = false;
      if (!kept) {
        if (!unreachable_logged_) spdlog::warn("cluster: cannot renew lease {}: {}", lease_, kept.error.message);
        unreachable_logged_ = true;
        return;
      }
      if (!kept->alive()) return on_lease_lost("etcd says it expired");
      if (unreachable_logged_) spdlog::info("cluster: lease {} renewed again", lease_);
      unreachable_logged_ = false;
      timer_.granted(now, std::chrono::seconds(kept->ttl));
      save_lease(lease_, now, std::chrono::seconds(kept->ttl));
    });
  }
}

void Agent::on_lease_lost(const std::string& why) {
  spdlog::warn("cluster: lease {} lost ({}): its jobs stop before this host claims any", lease_, why);
  timer_.lost();
  ++generation_;
  lease_state_ = LeaseState::kLost;
  lease_ = 0;
  registered_ = registering_ = keepalive_in_flight_ = false;
  poll_in_flight_ = false;
  claiming_.clear();
  published_.clear();
  have_snapshot_ = false;
}

// ---- fencing -----------------------------------------------------------------

// A job whose owner key may be gone, or soon, stops here before another host
// can claim it: the lease may lapse at timer_.lease_safe_until() at the
// earliest, and the stop takes up to its stoptimeout.
void Agent::fence_step(Clock::time_point now) {
  for (const auto& [name, settings] : local_jobs()) {
    if (!jobs_->running(name) || busy_.count(name)) continue;
    auto def = snapshot_.jobs.find(name);
    bool keep = def != snapshot_.jobs.end() && def->second.on_partition == JobDefinition::OnPartition::kKeep;
    milliseconds stop_timeout =
        std::chrono::seconds(def != snapshot_.jobs.end() ? def->second.stop_timeout : kDefaultStopTimeout);
    bool lost = lease_state_ == LeaseState::kLost;
    if (!lost && (keep || !timer_.must_stop(now, stop_timeout))) continue;
    spdlog::warn("cluster: stopping \"{}\": {}", name,
                 lost ? "this host's lease is gone" : "the lease may lapse before it could stop later");
    busy_.insert(name);
    jobs_->stop(name, [this, name, alive = alive_](Code, const std::string&) {
      if (*alive) busy_.erase(name);
    });
  }
}

// ---- the cluster's state and this host's part in it --------------------------------

std::map<std::string, std::string> Agent::local_jobs() const {
  std::map<std::string, std::string> mine;
  for (const auto& name : jobs_->job_names())
    if (const std::string* settings = jobs_->settings(name); settings && cluster_of(*settings) == config_.name)
      mine[name] = *settings;
  return mine;
}

void Agent::poll(Clock::time_point now) {
  if (poll_in_flight_) return;
  poll_in_flight_ = true;
  poll_now_ = false;
  last_poll_ = now;
  uint64_t generation = generation_;
  client_->range(keys_->root(), etcd::prefix_end(keys_->root()),
                 [this, generation, alive = alive_](etcd::Parsed<etcd::RangeResponse> range) {
                   if (!*alive || generation != generation_) return;
                   poll_in_flight_ = false;
                   if (!range) return;
                   snapshot_ = read_snapshot(*keys_, *range);
                   have_snapshot_ = true;
                   reconcile(Clock::now());
                 });
}

void Agent::reconcile(Clock::time_point now) {
  if (!available() || !timer_.healthy(now)) return;
  auto self = snapshot_.hosts.find(config_.host);
  if (self == snapshot_.hosts.end() || self->second.lease != lease_) {
    registered_ = false;  // its key is gone (deleted by hand?): put again
    return;
  }
  bool draining = self->second.draining;
  std::vector<Candidate> candidates;
  for (const auto& [id, host] : snapshot_.hosts)
    if (!host.draining) candidates.push_back({id, host.labels});

  std::set<std::string> wanted;
  for (const auto& [name, def] : snapshot_.jobs) {
    if (def.every) {
      // Its local job stays between runs: only a claimed tick starts it.
      wanted.insert(name);
      run_scheduled(def, now, candidates);
      continue;
    }
    if (def.placement.kind == Placement::Kind::kAll) {
      if (!draining && labels_match(config_.labels, def.selector)) {
        wanted.insert(name);
        keep_running(def, self->second.create_revision, now);
      }
      continue;
    }
    auto owner = snapshot_.owners.find(name);
    auto move = snapshot_.moves.find(name);
    if (owner != snapshot_.owners.end()) {
      absent_since_.erase(name);
      if (owner->second.host != config_.host || owner->second.lease != lease_) continue;
      bool moving_away = move != snapshot_.moves.end() && move->second != config_.host;
      if (draining || moving_away) {
        // Given up: stopped here first, then the owner key goes, so that no
        // two copies ever run.
        if (!jobs_->running(name) && !busy_.count(name) && !claiming_.count(name)) {
          spdlog::info("cluster: giving \"{}\" up ({})", name, draining ? "this host drains" : "it moves");
          claiming_.insert(name);
          client_->txn({etcd::Compare::lease_is(keys_->owner(name), lease_)}, {etcd::Op::remove(keys_->owner(name))},
                       {}, [this, name, alive = alive_](etcd::Parsed<etcd::TxnResponse>) {
                         if (!*alive) return;
                         claiming_.erase(name);
                         poll_now_ = true;
                       });
        }
        continue;
      }
      wanted.insert(name);
      keep_running(def, owner->second.epoch, now);
      continue;
    }
    std::optional<size_t> rank;
    if (move != snapshot_.moves.end()) {
      if (move->second == config_.host && !draining && labels_match(config_.labels, def.selector)) rank = 0;
    } else if (def.placement.kind == Placement::Kind::kHost) {
      if (def.placement.host == config_.host && labels_match(config_.labels, def.selector)) rank = 0;
    } else if (!draining) {
      rank = rank_of(name, config_.host, candidates, def.selector);
    }
    if (!rank) continue;
    if (running_ticks_.count(name) || jobs_->running(name)) continue;  // a copy from before still stops
    auto since = absent_since_.emplace(name, now).first->second;
    if (now - since < claim_delay(*rank, kClaimStep)) continue;
    std::vector<etcd::Op> ops{etcd::Op::put(keys_->owner(name), config_.host, lease_)};
    if (move != snapshot_.moves.end()) ops.push_back(etcd::Op::remove(keys_->move(name)));
    claim(name, {etcd::Compare::created_absent(keys_->owner(name))}, std::move(ops));
  }

  for (const auto& [name, settings] : local_jobs())
    if (!wanted.count(name)) let_go(name);
}

void Agent::claim(const std::string& name, const std::vector<etcd::Compare>& compares, std::vector<etcd::Op> ops) {
  if (claiming_.count(name)) return;
  claiming_.insert(name);
  uint64_t generation = generation_;
  client_->txn(compares, ops, {}, [this, name, generation, alive = alive_](etcd::Parsed<etcd::TxnResponse> txn) {
    if (!*alive || generation != generation_) return;
    claiming_.erase(name);
    if (txn && txn->succeeded) spdlog::info("cluster: claimed \"{}\" (epoch {})", name, txn->header.revision);
    poll_now_ = true;
  });
}

// Ticks are whole multiples of the schedule's period since the epoch, the
// same on every host; the hosts ranked for the tick claim it in that order.
void Agent::run_scheduled(const JobDefinition& def, Clock::time_point now, const std::vector<Candidate>& candidates) {
  const std::string& name = def.name;
  if (auto run = running_ticks_.find(name); run != running_ticks_.end()) {
    // Claimed here: started once; job_exited marks it done.
    if (!run->second.started) keep_running(def, run->second.epoch, now, run->second.run_id);
    return;
  }
  if (jobs_->running(name) || busy_.count(name) || claiming_.count(name)) return;
  const int64_t wall_ms = system_clock_ms();
  int64_t now_tick = wall_ms / 1000 / def.every;
  int64_t tick = now_tick;
  std::vector<etcd::Compare> compares;
  std::optional<int64_t> orphan;
  if (def.delivery == JobDefinition::Delivery::kAtLeastOnce)
    orphan = orphaned_tick(snapshot_, name, now_tick - kTicksKept + 1);
  if (orphan) {
    // Claimed by a host whose lease is gone, and not done: run again here,
    // before the current tick, and under the old tick's run id.
    tick = *orphan;
    compares.push_back(etcd::Compare::mod_revision_is(keys_->run(name, tick), snapshot_.runs[name][tick].revision));
  } else if (!snapshot_.runs[name].count(tick)) {
    compares.push_back(etcd::Compare::created_absent(keys_->run(name, tick)));
  } else {
    return;
  }
  std::optional<size_t> rank;
  if (def.placement.kind == Placement::Kind::kHost)
    rank = def.placement.host == config_.host && labels_match(config_.labels, def.selector) ? std::optional<size_t>(0)
                                                                                            : std::nullopt;
  else if (!snapshot_.hosts[config_.host].draining)
    rank = rank_of(name + "@" + std::to_string(tick), config_.host, candidates, def.selector);
  if (!rank) return;
  auto& seen = tick_seen_[name];
  if (seen.first != tick) seen = {tick, now};
  std::optional<milliseconds> open_for;
  if (tick == now_tick) open_for = milliseconds(wall_ms - tick * def.every * 1000);
  if (!may_claim_tick(claim_delay(*rank, kClaimStep / 5), std::chrono::duration_cast<milliseconds>(now - seen.second),
                      open_for, kPoll))
    return;
  tick_seen_.erase(name);
  // The record outlives its claimer: a tick is never claimed twice by
  // mistake. It names the claimer's lease, so that at least once can tell
  // a run whose host died.
  RunRecord record{config_.host, "claimed", lease_, 0};
  std::vector<etcd::Op> ops{etcd::Op::put(keys_->run(name, tick), run_value(record))};
  if (now_tick - kTicksKept > 0)
    ops.push_back(etcd::Op::remove(keys_->runs(name), keys_->run(name, now_tick - kTicksKept)));
  claiming_.insert(name);
  uint64_t generation = generation_;
  client_->txn(compares, ops, {}, [this, def, tick, generation, alive = alive_](etcd::Parsed<etcd::TxnResponse> txn) {
    if (!*alive || generation != generation_) return;
    claiming_.erase(def.name);
    if (!txn || !txn->succeeded) return;
    TickRun& run = running_ticks_[def.name];
    run = {tick, txn->header.revision, def.name + "/" + std::to_string(tick), false};
    spdlog::info("cluster: claimed tick {} of \"{}\"", run.run_id, def.name);
    keep_running(def, run.epoch, Clock::now(), run.run_id);
  });
}

// Makes the local job run with these settings and epoch: put, then start.
void Agent::keep_running(const JobDefinition& def, int64_t epoch, Clock::time_point now, const std::string& run_id) {
  const std::string& name = def.name;
  if (busy_.count(name)) return;
  const std::string* current = jobs_->settings(name);
  if (current && cluster_of(*current) != config_.name) {
    if (conflicts_logged_.insert(name).second)
      spdlog::error("cluster: a local job is named \"{}\" too: the cluster job does not run here", name);
    return;
  }
  bool scheduled = def.every != 0;
  std::string wanted = normalised(name, local_settings(def, config_.name, config_.host, epoch, run_id));
  if (!current || *current != wanted) {
    busy_.insert(name);
    if (jobs_->running(name)) {
      // Another epoch's copy: stopped before this one starts.
      jobs_->stop(name, [this, name, alive = alive_](Code, const std::string&) {
        if (*alive) busy_.erase(name);
      });
      return;
    }
    jobs_->put(name, wanted, [this, name, alive = alive_](Code code, const std::string& error) {
      if (!*alive) return;
      busy_.erase(name);
      if (code != Code::kOk) spdlog::error("cluster: job \"{}\" not saved: {}", name, error);
      poll_now_ = true;
    });
    return;
  }
  if (jobs_->running(name)) return publish_status(name, "running", epoch);
  auto last = last_start_.find(name);
  if (!scheduled && last != last_start_.end() && now - last->second < kRestartGap) return;
  last_start_[name] = now;
  busy_.insert(name);
  if (scheduled) running_ticks_[name].started = true;
  jobs_->start(name, scheduled ? shm::StartReason::kScheduler : shm::StartReason::kManual,
               [this, name, epoch, scheduled, alive = alive_](Code code, const std::string& error) {
                 if (!*alive) return;
                 busy_.erase(name);
                 if (scheduled && code != Code::kOk) running_ticks_.erase(name);
                 if (code != Code::kOk) spdlog::error("cluster: job \"{}\" did not start: {}", name, error);
                 publish_status(name, code == Code::kOk ? "running" : "failed", epoch);
               });
}

// Not this host's: stopped, then its local job deleted.
void Agent::let_go(const std::string& name) {
  if (busy_.count(name) || running_ticks_.count(name)) return;
  busy_.insert(name);
  auto done = [this, name, alive = alive_](Code, const std::string&) {
    if (*alive) busy_.erase(name);
  };
  if (jobs_->running(name)) return jobs_->stop(name, done);
  jobs_->remove(name, done);
  published_.erase(name);
  status_epochs_.erase(name);
  if (available()) client_->remove(keys_->status(config_.host, name), {}, [](etcd::Parsed<etcd::DeleteResponse>) {});
}

void Agent::publish_status(const std::string& name, const std::string& state, int64_t epoch) {
  if (!available()) return;
  status_epochs_[name] = epoch;
  StatusRecord status{state, 0, epoch};
  shm::JobInfo info;
  if (host_->segment && host_->segment->table().read(name, info)) status.pid = info.pid;
  std::string value = status_value(status);
  auto& last = published_[name];
  if (last == value) return;
  last = value;
  client_->put(keys_->status(config_.host, name), value, lease_, [](etcd::Parsed<etcd::PutResponse>) {});
}

// ---- commands ----------------------------------------------------------------

Reply not_in_a_cluster() {
  return {Code::kFailed, {}, "this server is not in a cluster (no \"cluster\" in its config)"};
}

Reply unavailable(const etcd::Error& error) { return {Code::kFailed, {}, "etcd: " + error.message}; }

void Agent::ls_command(const Value&, Done done) {
  if (!client_) return done(not_in_a_cluster());
  client_->range(keys_->root(), etcd::prefix_end(keys_->root()),
                 [this, done, alive = alive_](etcd::Parsed<etcd::RangeResponse> range) {
                   if (!*alive) return;
                   if (!range) return done(unavailable(range.error));
                   Snapshot s = read_snapshot(*keys_, *range);
                   rapidjson::Document doc(rapidjson::kObjectType);
                   auto& a = doc.GetAllocator();
                   auto str = [&](const std::string& t) {
                     return Value(t.c_str(), static_cast<rapidjson::SizeType>(t.size()), a);
                   };
                   doc.AddMember("cluster", str(config_.name), a);
                   doc.AddMember("revision", s.revision, a);
                   Value hosts(rapidjson::kArrayType);
                   for (const auto& [id, h] : s.hosts) {
                     Value host(rapidjson::kObjectType);
                     host.AddMember("host", str(id), a);
                     host.AddMember("address", str(h.address), a);
                     Value labels(rapidjson::kObjectType);
                     for (const auto& [k, v] : h.labels) labels.AddMember(str(k), str(v), a);
                     host.AddMember("labels", labels, a);
                     host.AddMember("draining", h.draining, a);
                     hosts.PushBack(host, a);
                   }
                   doc.AddMember("hosts", hosts, a);
                   Value jobs(rapidjson::kArrayType);
                   for (const auto& [name, def] : s.jobs) {
                     Value job(rapidjson::kObjectType);
                     job.AddMember("name", str(name), a);
                     job.AddMember("placement", str(placement_text(def.placement)), a);
                     if (def.every) job.AddMember("every", def.every, a);
                     auto owner = s.owners.find(name);
                     job.AddMember("owner", str(owner != s.owners.end() ? owner->second.host : ""), a);
                     job.AddMember("epoch", owner != s.owners.end() ? owner->second.epoch : 0, a);
                     Value running(rapidjson::kArrayType);
                     for (const auto& [host, statuses] : s.status) {
                       auto st = statuses.find(name);
                       if (st == statuses.end()) continue;
                       Value r(rapidjson::kObjectType);
                       r.AddMember("host", str(host), a);
                       r.AddMember("state", str(st->second.state), a);
                       r.AddMember("pid", st->second.pid, a);
                       r.AddMember("epoch", st->second.epoch, a);
                       running.PushBack(r, a);
                     }
                     job.AddMember("hosts", running, a);
                     jobs.PushBack(job, a);
                   }
                   for (const auto& [name, error] : s.bad_jobs) {
                     Value job(rapidjson::kObjectType);
                     job.AddMember("name", str(name), a);
                     job.AddMember("error", str(error), a);
                     jobs.PushBack(job, a);
                   }
                   doc.AddMember("jobs", jobs, a);
                   done({Code::kOk, protocol::to_json(doc), {}});
                 });
}

// The file's jobs become the cluster's, whole, in one transaction that holds
// only if no job changed since they were read.
void Agent::apply_command(const Value& params, Done done) {
  if (!client_) return done(not_in_a_cluster());
  auto it = params.FindMember("jobs");
  if (it == params.MemberEnd() || !it->value.IsObject())
    return done({Code::kFailed, {}, "\"jobs\" must be an object of job name: definition"});
  auto wanted = std::make_shared<std::map<std::string, JobDefinition>>();
  for (auto& m : it->value.GetObject()) {
    std::string name = text_of(m.name);
    JobDefinition def;
    if (auto err = parse_definition(name, m.value, def))
      return done({Code::kFailed, {}, "job \"" + name + "\": " + *err});
    if (auto err = check_ttl(
            std::chrono::seconds(config_.lease_ttl), std::chrono::seconds(def.stop_timeout), kMargin,
            renew_interval(std::chrono::seconds(config_.lease_ttl)) + std::chrono::seconds(config_.request_timeout)))
      return done({Code::kFailed, {}, "job \"" + name + "\": " + *err});
    (*wanted)[name] = std::move(def);
  }
  client_->range(
      keys_->jobs(), etcd::prefix_end(keys_->jobs()),
      [this, wanted, done, alive = alive_](etcd::Parsed<etcd::RangeResponse> range) {
        if (!*alive) return;
        if (!range) return done(unavailable(range.error));
        std::vector<etcd::Compare> compares;
        std::vector<etcd::Op> ops;
        rapidjson::Document result(rapidjson::kObjectType);
        auto& a = result.GetAllocator();
        Value added(rapidjson::kArrayType), updated(rapidjson::kArrayType), deleted(rapidjson::kArrayType),
            same(rapidjson::kArrayType);
        auto str = [&](const std::string& t) {
          return Value(t.c_str(), static_cast<rapidjson::SizeType>(t.size()), a);
        };
        std::set<std::string> seen;
        for (const etcd::KeyValue& kv : range->kvs) {
          auto key = keys_->parse(kv.key);
          if (!key || key->kind != Keys::Parsed::Kind::kJob) continue;
          seen.insert(key->first);
          compares.push_back(etcd::Compare::mod_revision_is(kv.key, kv.mod_revision));
          auto want = wanted->find(key->first);
          if (want == wanted->end()) {
            ops.push_back(etcd::Op::remove(kv.key));
            deleted.PushBack(str(key->first), a);
            continue;
          }
          std::string value = definition_to_json(want->second);
          if (value == kv.value) {
            same.PushBack(str(key->first), a);
            continue;
          }
          ops.push_back(etcd::Op::put(kv.key, value));
          updated.PushBack(str(key->first), a);
        }
        for (const auto& [name, def] : *wanted) {
          if (seen.count(name)) continue;
          compares.push_back(etcd::Compare::created_absent(keys_->job(name)));
          ops.push_back(etcd::Op::put(keys_->job(name), definition_to_json(def)));
          added.PushBack(str(name), a);
        }
        result.AddMember("added", added, a);
        result.AddMember("updated", updated, a);
        result.AddMember("deleted", deleted, a);
        result.AddMember("unchanged", same, a);
        if (ops.empty()) return done({Code::kOk, protocol::to_json(result), {}});
        std::string data = protocol::to_json(result);
        client_->txn(compares, ops, {}, [done, data](etcd::Parsed<etcd::TxnResponse> txn) {
          if (!txn) return done(unavailable(txn.error));
          if (!txn->succeeded)
            return done({Code::kFailed, {}, "the cluster's jobs changed meanwhile: nothing applied, try again"});
          done({Code::kOk, data, {}});
        });
      });
}

void Agent::drain_command(const Value& params, Done done) {
  if (!client_) return done(not_in_a_cluster());
  auto host = params.FindMember("host");
  if (host == params.MemberEnd() || !host->value.IsString() || !conf::valid_cluster_id(text_of(host->value)))
    return done({Code::kFailed, {}, "\"host\" must be a host id"});
  auto undo = params.FindMember("undo");
  bool undoing = undo != params.MemberEnd() && undo->value.IsBool() && undo->value.GetBool();
  std::string key = keys_->drain(text_of(host->value));
  auto finish = [done](auto answer) {
    if (!answer) return done(unavailable(answer.error));
    done({Code::kOk, {}, {}});
  };
  if (undoing) return client_->remove(key, {}, finish);
  client_->put(key, "draining", 0, finish);
}

void Agent::move_command(const Value& params, Done done) {
  if (!client_) return done(not_in_a_cluster());
  auto job = params.FindMember("jobname");
  auto host = params.FindMember("host");
  if (host == params.MemberEnd() || !host->value.IsString() || !conf::valid_cluster_id(text_of(host->value)))
    return done({Code::kFailed, {}, "\"host\" must be a host id"});
  std::string name = text_of(job->value), target = text_of(host->value);
  // Only a job that exists, to a host that is live.
  auto exists = [](std::string key) {
    return etcd::Compare{etcd::Compare::Target::kVersion, etcd::Compare::Result::kGreater, std::move(key), 0, {}};
  };
  client_->txn(
      {exists(keys_->job(name)), exists(keys_->host(target))}, {etcd::Op::put(keys_->move(name), target)}, {},
      [done, name, target](etcd::Parsed<etcd::TxnResponse> txn) {
        if (!txn) return done(unavailable(txn.error));
        if (!txn->succeeded)
          return done({Code::kFailed, {}, "no cluster job \"" + name + "\" or no live host \"" + target + "\""});
        done({Code::kOk, {}, {}});
      });
}

}  // namespace

const PluginInfo& cluster_plugin_info() {
  static const CommandSpec commands[] = {
      {"CLUSTER.LS", false, false, handler<&Agent::ls_command>},
      {"CLUSTER.APPLY", false, true, handler<&Agent::apply_command>},
      {"CLUSTER.DRAIN", false, true, handler<&Agent::drain_command>},
      {"CLUSTER.MOVE", true, true, handler<&Agent::move_command>},
  };
  static const PluginInfo info{"cluster", Side::kSupervisor, commands,
                               [] { return std::unique_ptr<Plugin>(new Agent); }};
  return info;
}

}  // namespace backend::plugins::cluster
