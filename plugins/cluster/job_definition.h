// A cluster job as jobs/<name> holds it: the settings of the local job that
// runs it (PROTOCOL.md's job settings, checked as ADD checks them) and how
// the fleet places it. One flat JSON object, as ADD's params are:
//
//   {"command": "/srv/ledger", "params": "--fast", "stoptimeout": 2,
//    "placement": "any", "labels": {"zone": "a"}, "on_partition": "stop",
//    "schedule": {"every": 60}, "delivery": "at_most_once"}
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "plugins/cluster/placement.h"

namespace backend::plugins::cluster {

// A cluster job stops within this unless it says otherwise: the default of
// local jobs (10 s) would not fit in the default lease (10 s), which must
// leave room for the stop (partition_timer.h).
inline constexpr uint32_t kDefaultStopTimeout = 3;

struct JobDefinition {
  std::string name;
  Placement placement;
  Labels selector;  // "labels": the hosts it may run on
  enum class OnPartition { kStop, kKeep } on_partition = OnPartition::kStop;
  // A schedule: a run every `every` seconds, each tick claimed once in the
  // fleet; 0: none, the job runs all the time on its owner(s).
  uint32_t every = 0;
  // A tick whose claiming host died before the run ended: lost (at most
  // once) or run again elsewhere (at least once).
  enum class Delivery { kAtMostOnce, kAtLeastOnce } delivery = Delivery::kAtMostOnce;
  std::string settings;  // the local job's settings, checked, without the keys above
  uint32_t stop_timeout = kDefaultStopTimeout;

  bool operator==(const JobDefinition&) const = default;
};

// Checks a definition (an object) for the job `name`; the sentence names
// the key that is wrong.
std::optional<std::string> parse_definition(std::string_view name, const rapidjson::Value& definition,
                                            JobDefinition& out);
std::optional<std::string> parse_definition(std::string_view name, std::string_view json, JobDefinition& out);

// As jobs/<name> stores it (parse_definition reads it back the same).
std::string definition_to_json(const JobDefinition& definition);

// The settings of the local job that runs it on this host: the definition's,
// marked as the cluster's ("cluster": NAME), never guarded or autostarted
// by the local plugins (the agent decides when it runs), with BACKEND_EPOCH,
// BACKEND_HOST (this host's id) and, for a scheduled run, BACKEND_RUN_ID in
// its environment.
std::string local_settings(const JobDefinition& definition, std::string_view cluster, std::string_view host,
                           int64_t epoch, std::string_view run_id = {});

// The cluster a local job's settings mark it as run for; "" for a local job.
std::string cluster_of(std::string_view settings_json);

}  // namespace backend::plugins::cluster
