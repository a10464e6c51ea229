// The whole cluster as one range read of its prefix shows it: the agent
// decides from it, CLUSTER.LS prints it. Keys it does not know, and values
// it cannot read, are counted, not fatal: a newer host may write more.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "plugins/cluster/etcd_codec.h"
#include "plugins/cluster/job_definition.h"
#include "plugins/cluster/keys.h"

namespace backend::plugins::cluster {

struct HostRecord {
  std::string address;
  Labels labels;
  int64_t lease = 0;
  int64_t create_revision = 0;  // the epoch of its copies of "all" jobs
  bool draining = false;        // drain/<host>: it gives its jobs up and claims none
};

struct OwnerRecord {
  std::string host;
  int64_t epoch = 0;  // the owner key's create revision
  int64_t lease = 0;
};

struct StatusRecord {
  std::string state;  // "running", "stopped", "fenced"
  int64_t pid = 0;
  int64_t epoch = 0;
};

struct RunRecord {
  std::string host;
  std::string state;     // "claimed", "done"
  int64_t lease = 0;     // the claimer's lease when it claimed
  int64_t revision = 0;  // the key's mod revision
};

struct Snapshot {
  int64_t revision = 0;
  std::map<std::string, HostRecord> hosts;
  std::map<std::string, JobDefinition> jobs;
  std::map<std::string, int64_t> job_revisions;  // mod revision of jobs/<name>, for APPLY's compares
  std::map<std::string, std::string> bad_jobs;   // name -> why its definition cannot be read
  std::map<std::string, OwnerRecord> owners;
  std::map<std::string, std::string> moves;                           // move/<job> -> the host it is to move to
  std::map<std::string, std::map<std::string, StatusRecord>> status;  // host -> job -> status
  std::map<std::string, std::map<int64_t, RunRecord>> runs;           // job -> tick -> run
  size_t unknown_keys = 0;
};

Snapshot read_snapshot(const Keys& keys, const etcd::RangeResponse& range);

// The oldest tick of `job` from `from` on that a host claimed and never
// marked done, and whose claimer's lease has gone since (the host died or
// restarted): what an at-least-once schedule runs again. Not only the
// current tick: a lease lapses after lease_ttl, most often ticks later.
std::optional<int64_t> orphaned_tick(const Snapshot& snapshot, const std::string& job, int64_t from);

// The values the agent writes, as read_snapshot reads them.
std::string host_value(const std::string& address, const Labels& labels);
std::string status_value(const StatusRecord& status);
std::string run_value(const RunRecord& run);

}  // namespace backend::plugins::cluster
