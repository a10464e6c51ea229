// A real etcd cluster (/usr/bin/etcd, 1 or 3 members) on loopback for the
// tests of the fleet, and the few HTTP calls to its JSON gateway
// (/v3/kv/put, /v3/kv/range, /v3/maintenance/status, /health) they need.
//
// Every cluster has its own TempDir (one data dir and one log file per
// member), its own free ports for client and peer URLs and its own cluster
// token, so tests run in parallel. Every wait is a bounded poll. The
// destructor SIGKILLs every member and removes the folder.
//
// Members are our children, started with PR_SET_PDEATHSIG: a test binary
// that dies takes them along. The kernel sends that signal when the thread
// that forked exits, so start and restart members from the test's thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace itest {

// ---- HTTP/1.1 to etcd's gateway ---------------------------------------------

// One request on a fresh connection ("Connection: close"), the response
// read to the end (Content-Length, chunked or until closed).
struct HttpResult {
  int status = 0;          // 0: no whole response
  std::string body;        // de-chunked
  bool timed_out = false;  // no whole response within the timeout
  std::string error;       // why there is no response
  int64_t elapsed_ms = 0;
  bool ok() const { return status == 200; }
  std::string describe() const;
};
HttpResult http_request(uint16_t port, std::string_view method, std::string_view path, std::string_view body = {},
                        int timeout_ms = 2000);

// Put and get through the gateway at 127.0.0.1:port (a member's client port
// or a TcpProxy in front of one). A get is linearizable: it needs a quorum.
testing::AssertionResult etcd_put(uint16_t port, std::string_view key, std::string_view value, int timeout_ms = 2000);
// The value; nullopt when the key is absent or there was no good answer
// (`why` says which).
std::optional<std::string> etcd_get(uint16_t port, std::string_view key, int timeout_ms = 2000,
                                    std::string* why = nullptr);

// What /v3/maintenance/status says (the ids are the decimal strings of the JSON).
struct EtcdStatus {
  std::string cluster_id;
  std::string member_id;
  std::string leader;  // "0" when it knows none
  uint64_t raft_term = 0;
};
std::optional<EtcdStatus> etcd_status(uint16_t port, int timeout_ms = 1000);

// ---- the cluster ----------------------------------------------------------------

class EtcdCluster {
 public:
  explicit EtcdCluster(int members = 3);
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts every member as a new cluster and waits until all are healthy.
  // A member that exits because its port was taken meanwhile (another test
  // bound it) makes it start over with new ports, a few times.
  testing::AssertionResult start(int timeout_ms = 15000);

  int size() const { return static_cast<int>(members_.size()); }
  uint16_t client_port(int i) const { return members_.at(i).client_port; }
  uint16_t peer_port(int i) const { return members_.at(i).peer_port; }
  std::string client_url(int i) const;  // http://127.0.0.1:PORT
  std::vector<std::string> endpoints() const;
  std::string endpoints_csv() const;  // as etcdctl --endpoints takes them
  std::string dir() const { return temp_.path; }

  // Every running member (one at least) answers /health with {"health":"true"}.
  testing::AssertionResult wait_healthy(int timeout_ms = 10000) const;
  // The index of the leader that every running member names; -1 when one
  // does not answer, they disagree, or the one named is not running.
  int leader(int timeout_ms = 1000) const;
  // Polls leader() until there is one; -1 when none came within timeout_ms.
  int wait_leader(int timeout_ms = 10000) const;
  std::optional<EtcdStatus> status(int i, int timeout_ms = 1000) const;

  // SIGKILL (and reaped).
  void kill(int i);
  // SIGTERM, then waits for its exit; SIGKILL when it is late.
  testing::AssertionResult stop(int i, int timeout_ms = 5000);
  // Starts a stopped member again, same ports and data dir, with
  // --initial-cluster-state existing; waits until its client port is bound
  // (it answers only once a quorum is back: wait_healthy() for that).
  testing::AssertionResult restart(int i, int timeout_ms = 5000);
  bool running(int i) const;
  pid_t pid(int i) const { return members_.at(i).pid; }

  // The end of every member's log (all its starts), for failure messages.
  std::string logs(size_t tail_bytes = 6000) const;

 private:
  struct Member {
    std::string name, data_dir, log_path;
    uint16_t client_port = 0, peer_port = 0;
    pid_t pid = 0;
  };
  void pick_ports();
  std::vector<std::string> argv_for(int i, bool existing) const;
  testing::AssertionResult spawn(int i, bool existing);
  void reap(int i, bool block) const;

  backend::testing::TempDir temp_{"etcd-cluster"};
  mutable std::vector<Member> members_;  // pid goes 0 when reaped
  std::string token_;
  mutable std::vector<std::string> member_ids_;  // learnt from status(); kept across restarts
};

}  // namespace itest
