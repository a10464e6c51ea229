// The config's "cluster" block: whether this server is one host of a fleet
// coordinated through etcd, and as whom. Without the block nothing of the
// cluster runs. Its keys are checked here, in one table (cluster_config.cpp).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace backend::conf {

struct ClusterConfig {
  bool enabled = false;                       // the config has a "cluster" block
  std::vector<std::string> etcd;              // client URLs, "http://HOST:PORT", tried in turn
  std::string name;                           // keys live under /backend-server/NAME/
  std::string host;                           // this host's id; the hostname when not set
  std::string address;                        // what other hosts and `cluster ls` show; the listen address unless set
  std::map<std::string, std::string> labels;  // matched by the jobs' "labels" selectors
  uint32_t lease_ttl = 10;                    // s, of the lease this host's keys live on
  uint32_t request_timeout = 2;               // s, one request to one etcd endpoint

  bool operator==(const ClusterConfig&) const = default;
};

// A host id or cluster name as keys and placements spell them: 1 to 253
// characters of letters, digits, '.', '_' and '-'.
bool valid_cluster_id(const std::string& id);

// The block as the config holds it: an object, or null for none (the
// workers' copy of a config without one). The sentence names the key.
std::optional<std::string> parse_cluster_config(const rapidjson::Value& block, ClusterConfig& out);

// The host id when the block gives none: the hostname, as hosts/<host> shows it.
std::optional<std::string> finish_cluster_config(ClusterConfig& config);

// The block as JSON (an object), for the workers' copy of the config;
// "null" when cluster mode is off.
std::string cluster_config_to_json(const ClusterConfig& config);

}  // namespace backend::conf
