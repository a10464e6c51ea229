// The cluster agent (DESIGN.md, "Cluster mode"): this host's part of a
// fleet coordinated through etcd. Runs in the supervisor's loop as a timer
// task, as the other supervisor plugins do, and only when the config has a
// "cluster" block (its settings: conf/cluster_config.h).
//
// Every 100 ms it looks at its lease (granted once, renewed every third of
// its TTL, resumed after a supervisor restart from DATA_DIR/plugins/cluster/
// lease), stops the cluster jobs the lease can no longer vouch for
// (partition_timer.h), and every 500 ms reads the whole cluster in one
// range read (snapshot.h) and makes this host's jobs match it: claims the
// jobs it ranks first for whose owner key is absent, runs the ones it owns
// with their epoch, stops and forgets the others, claims schedule ticks.
// Commands: CLUSTER.LS, CLUSTER.APPLY, CLUSTER.DRAIN, CLUSTER.MOVE.
#pragma once

#include "plugins/plugin.h"

namespace backend::plugins::cluster {

const PluginInfo& cluster_plugin_info();

}  // namespace backend::plugins::cluster
