// Where the cluster keeps what in etcd: every key under
// /backend-server/<cluster>/, made and read here only.
//
//   hosts/<host>            {"address","labels"}, on the host's lease: the live hosts
//   jobs/<name>             a cluster job's definition (job_definition.h): the one store of them
//   owner/<name>            the owning host's id, created only if absent, on its lease;
//                           its create revision is the job's fencing epoch
//   status/<host>/<name>    {"state","pid","epoch"}, on the host's lease
//   runs/<name>/<tick>      a schedule's tick, claimed once by a transaction
//   drain/<host>            CLUSTER.DRAIN: the host gives up its jobs and claims none
//   move/<name>             CLUSTER.MOVE: the host the job is to move to
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace backend::plugins::cluster {

class Keys {
 public:
  explicit Keys(std::string_view cluster) : root_("/backend-server/" + std::string(cluster) + "/") {}

  const std::string& root() const { return root_; }  // every key of the cluster has it as prefix
  std::string host(std::string_view host) const { return root_ + "hosts/" + std::string(host); }
  std::string job(std::string_view name) const { return root_ + "jobs/" + std::string(name); }
  std::string jobs() const { return root_ + "jobs/"; }
  std::string owner(std::string_view name) const { return root_ + "owner/" + std::string(name); }
  std::string status(std::string_view host, std::string_view name) const {
    return root_ + "status/" + std::string(host) + "/" + std::string(name);
  }
  std::string runs(std::string_view name) const { return root_ + "runs/" + std::string(name) + "/"; }
  std::string run(std::string_view name, int64_t tick) const { return runs(name) + std::to_string(tick); }
  std::string drain(std::string_view host) const { return root_ + "drain/" + std::string(host); }
  std::string move(std::string_view name) const { return root_ + "move/" + std::string(name); }

  // A key of the cluster taken apart; nullopt for one that is none of the
  // above (a newer version's, or a stranger's).
  struct Parsed {
    enum class Kind { kHost, kJob, kOwner, kStatus, kRun, kDrain, kMove } kind;
    std::string first;   // host, or job name
    std::string second;  // status: the job name; run: the tick
  };
  std::optional<Parsed> parse(std::string_view key) const;

 private:
  std::string root_;
};

}  // namespace backend::plugins::cluster
