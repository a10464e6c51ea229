// The fleet end to end: a 3-member etcd cluster on loopback ports, three
// servers (h1, h2, h3), each reaching every etcd member through a TCP proxy
// of its own that the test can pause. Cluster jobs: "ledger" (any; appends
// "HOST EPOCH NANOS" every 200 ms, fenced by its epoch:
// tests/support/fenced_ledger.c), "tick" (a schedule every second, each run
// appending its run id) and "everywhere" (all). Then, one at a time: the
// owner's server killed outright, the owner stopped, the owner cut off from
// etcd past its lease, the etcd leader killed, two etcd members down. The
// figures are printed as FLEET lines (tests/RELIABILITY.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/etcd_cluster.h"
#include "tests/support/server_fixture.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"

#ifndef FENCED_LEDGER_BIN
#error "FENCED_LEDGER_BIN must be defined by the build"
#endif

namespace itest {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kLeaseTtl = 5;  // s: etcd's minimum is 2; 5 leaves room for a 1 s stop

struct Entry {
  std::string host;
  int64_t epoch = 0;
  int64_t nanos = 0;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<Entry> read_ledger(const std::string& path) {
  std::vector<Entry> entries;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Entry e;
    if (fields >> e.host >> e.epoch >> e.nanos) entries.push_back(e);
  }
  return entries;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(etcd_.start());
    ledger_ = dir_.path + "/ledger";
    ticks_ = dir_.path + "/ticks";
    for (int h = 0; h < 3; ++h) {
      for (int m = 0; m < 3; ++m) proxies_[h].push_back(std::make_unique<TcpProxy>(etcd_.client_port(m)));
      servers_[h] = std::make_unique<Server>();
      std::string endpoints;
      for (auto& proxy : proxies_[h])
        endpoints += (endpoints.empty() ? "\"" : ",\"") + std::string("http://127.0.0.1:") +
                     std::to_string(proxy->port()) + "\"";
      servers_[h]->set("cluster", "{\"etcd\": [" + endpoints + "], \"name\": \"fleet\", \"host\": \"" + host(h) +
                                      "\", \"lease_ttl\": " + std::to_string(kLeaseTtl) + ", \"request_timeout\": 1}");
      ASSERT_TRUE(servers_[h]->start());
    }
  }

  void TearDown() override {
    if (HasFailure()) {
      for (auto& s : servers_)
        if (s) s->print_stderr_tails();
      std::cerr << etcd_.logs(3000);
    }
  }

  static std::string host(int h) { return "h" + std::to_string(h + 1); }
  static int index_of(const std::string& host) { return host.size() == 2 ? host[1] - '1' : -1; }
  Server& server(int h) { return *servers_[h]; }

  void apply() {
    std::string jobs =
        std::string(R"({"jobs": {)") + R"("ledger": {"command": ")" + FENCED_LEDGER_BIN + R"(", "params": ")" +
        ledger_ + R"(", "stoptimeout": 1},)" +
        R"("tick": {"command": "/bin/sh", "params": "-c 'echo $BACKEND_RUN_ID $BACKEND_HOST >> )" + ticks_ +
        R"('", "schedule": {"every": 1}, "stoptimeout": 1},)" +
        R"("everywhere": {"command": "/bin/sleep", "params": "1000", "placement": "all", "stoptimeout": 1}}})";
    auto r = server(0).request("CLUSTER.APPLY", jobs);
    ASSERT_TRUE(r && r->ok()) << (r ? r->raw : "no reply");
  }

  // The host and epoch of the ledger's last line once it has lines.
  std::optional<Entry> last_entry() {
    auto entries = read_ledger(ledger_);
    if (entries.empty()) return std::nullopt;
    return entries.back();
  }

  // Waits until the ledger has a line newer than `after_ns` from a host
  // other than `not_host`; that line.
  std::optional<Entry> wait_new_writer(const std::string& not_host, int64_t after_ns, int timeout_ms) {
    std::optional<Entry> found;
    wait_until(
        [&] {
          for (const Entry& e : read_ledger(ledger_))
            if (e.nanos > after_ns && e.host != not_host) {
              found = e;
              return true;
            }
          return false;
        },
        timeout_ms, 50);
    return found;
  }

  // Epochs never go back in the ledger, and each epoch is one host's.
  void expect_ledger_fenced() {
    auto entries = read_ledger(ledger_);
    std::map<int64_t, std::string> owner_of;
    int64_t last = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      EXPECT_GE(entries[i].epoch, last) << "line " << i + 1 << " of the ledger goes back from epoch " << last;
      last = std::max(last, entries[i].epoch);
      auto [it, fresh] = owner_of.emplace(entries[i].epoch, entries[i].host);
      EXPECT_EQ(it->second, entries[i].host) << "epoch " << entries[i].epoch << " written by two hosts";
    }
  }

  // The server's processes die (not its jobs, as in a crash of the server
  // alone); then it starts again on the same data.
  void kill_server_only(int h) {
    pid_t listener = server(h).listener_pid(), supervisor = server(h).supervisor_pid();
    server(h).signal(SIGKILL);
    if (listener > 0) ::kill(listener, SIGKILL);
    if (supervisor > 0) ::kill(supervisor, SIGKILL);
    wait_until([&] { return !server(h).master_alive(); }, 5000);
  }

  void pause(int h) {
    for (auto& proxy : proxies_[h]) proxy->pause();
  }
  void resume(int h) {
    for (auto& proxy : proxies_[h]) proxy->resume();
  }

  backend::testing::TempDir dir_{"fleet"};
  EtcdCluster etcd_{3};
  std::vector<std::unique_ptr<TcpProxy>> proxies_[3];
  std::unique_ptr<Server> servers_[3];
  std::string ledger_, ticks_;
};

TEST_F(FleetTest, JobsMoveWhenTheirHostDiesAndNeverRunTwice) {
  apply();
  ASSERT_TRUE(wait_until([&] { return last_entry().has_value(); }, 10000)) << "the ledger job never wrote";
  for (int h = 0; h < 3; ++h)
    EXPECT_TRUE(wait_until(
        [&] {
          auto r = server(h).request("STATUS", R"({"jobname": "everywhere"})");
          return r && r->ok() && r->data_json() == "\"UP\"";
        },
        5000))
        << "\"everywhere\" does not run on " << host(h);

  // 1. The owner's server killed outright: the job runs elsewhere within
  // lease_ttl + 3 s, and the copy left behind can no longer write.
  std::string owner = last_entry()->host;
  int64_t killed_at = now_ns();
  kill_server_only(index_of(owner));
  auto next = wait_new_writer(owner, killed_at, (kLeaseTtl + 3) * 1000);
  ASSERT_TRUE(next) << "no host took the ledger over within lease_ttl + 3 s of " << owner << " dying";
  double failover_s = (next->nanos - killed_at) / 1e9;
  std::cout << "FLEET kill -9 of the owner's server: ledger moved from " << owner << " to " << next->host << " in "
            << failover_s << " s" << std::endl;
  ASSERT_TRUE(server(index_of(owner)).start());
  // Its old copy is stopped by its own server (its owner key is gone) or
  // fenced by the ledger; either way only one host writes from now on.
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = server(index_of(owner)).request("STATUS", R"({"jobname": "ledger"})");
        return r && (!r->ok() || r->data_json() == "\"DOWN\"");
      },
      (kLeaseTtl + 3) * 1000))
      << owner << " still runs its old copy of the ledger after its restart";
  expect_ledger_fenced();

  // 2. The owner stopped cleanly: its lease is revoked and the job moves
  // within 3 s.
  owner = last_entry()->host;
  int64_t stopped_at = now_ns();
  ASSERT_TRUE(server(index_of(owner)).stop(10000));
  next = wait_new_writer(owner, stopped_at, 3000);
  ASSERT_TRUE(next) << "the ledger did not move within 3 s of " << owner << "'s clean stop";
  std::cout << "FLEET SIGTERM of the owner: ledger moved from " << owner << " to " << next->host << " in "
            << (next->nanos - stopped_at) / 1e9 << " s" << std::endl;
  ASSERT_TRUE(server(index_of(owner)).start());
  expect_ledger_fenced();

  // 3. The owner cut off from etcd past its lease: it stops its copy before
  // the lease can lapse, so no two hosts ever write at once.
  owner = last_entry()->host;
  int cut = index_of(owner);
  int64_t paused_at = now_ns();
  pause(cut);
  next = wait_new_writer(owner, paused_at, (kLeaseTtl + 4) * 1000);
  ASSERT_TRUE(next) << "no host took the ledger over while " << owner << " was cut off";
  int64_t old_last = 0;
  for (const Entry& e : read_ledger(ledger_))
    if (e.host == owner && e.epoch < next->epoch) old_last = std::max(old_last, e.nanos);
  std::cout << "FLEET owner cut off from etcd: its last write " << (old_last - paused_at) / 1e9
            << " s after the cut, the next owner's first " << (next->nanos - paused_at) / 1e9 << " s after, a gap of "
            << (next->nanos - old_last) / 1e9 << " s" << std::endl;
  EXPECT_LT(old_last, next->nanos) << "the cut-off owner wrote after its successor began";
  EXPECT_TRUE(server(cut).wait_for_log("cluster: stopping \"ledger\"", 1000))
      << owner << " did not stop its copy itself (on_partition: stop)";
  resume(cut);
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = server(cut).request("STATUS", R"({"jobname": "ledger"})");
        return r && (!r->ok() || r->data_json() == "\"DOWN\"");
      },
      (kLeaseTtl + 3) * 1000))
      << owner << " runs the ledger again after the cut healed";
  expect_ledger_fenced();

  // 4. The etcd leader killed: nothing moves.
  owner = last_entry()->host;
  int64_t epoch = last_entry()->epoch;
  int leader = etcd_.wait_leader();
  ASSERT_GE(leader, 0);
  etcd_.kill(leader);
  ASSERT_GE(etcd_.wait_leader(), 0) << "no new leader";
  std::this_thread::sleep_for(std::chrono::seconds(kLeaseTtl));
  EXPECT_EQ(last_entry()->host, owner) << "the ledger moved when etcd's leader died";
  EXPECT_EQ(last_entry()->epoch, epoch) << "the ledger's epoch changed when etcd's leader died";
  ASSERT_TRUE(etcd_.restart(leader));
  ASSERT_TRUE(etcd_.wait_healthy());

  // 5. Two etcd members down: no quorum. Nothing moves, no tick is claimed,
  // local jobs run on; once they are back there is still one owner.
  ASSERT_TRUE(server(0).request("ADD", R"({"jobname": "local", "command": "/bin/sleep", "params": "1000"})")->ok());
  ASSERT_TRUE(server(0).request("START", R"({"jobname": "local"})")->ok());
  auto local_pid = [&] {
    auto r = server(0).request("STATUS", R"({"jobname": "local", "detail": true})");
    return r && r->ok() && r->data()["pid"].IsInt() ? r->data()["pid"].GetInt() : 0;
  };
  int pid_before = local_pid();
  ASSERT_GT(pid_before, 0);
  owner = last_entry()->host;
  epoch = last_entry()->epoch;
  etcd_.kill(1);
  etcd_.kill(2);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // claims already in flight end
  std::set<std::string> ticks_at_loss;
  {
    std::ifstream in(ticks_);
    for (std::string line; std::getline(in, line);) ticks_at_loss.insert(line);
  }
  std::this_thread::sleep_for(std::chrono::seconds(kLeaseTtl + 2));
  size_t ticks_during = 0;
  {
    std::ifstream in(ticks_);
    for (std::string line; std::getline(in, line);) ticks_during += ticks_at_loss.count(line) ? 0 : 1;
  }
  EXPECT_EQ(ticks_during, 0u) << "ticks were claimed without a quorum";
  EXPECT_EQ(local_pid(), pid_before) << "a local job was touched while etcd had no quorum";
  ASSERT_TRUE(etcd_.restart(1));
  ASSERT_TRUE(etcd_.restart(2));
  ASSERT_TRUE(etcd_.wait_healthy(20000));
  int64_t back_at = now_ns();
  ASSERT_TRUE(wait_until(
      [&] {
        for (const Entry& e : read_ledger(ledger_))
          if (e.nanos > back_at) return true;
        return false;
      },
      (kLeaseTtl + 5) * 1000))
      << "the ledger never wrote again after the quorum came back";
  EXPECT_EQ(last_entry()->host, owner) << "the ledger moved while etcd had no quorum";
  EXPECT_EQ(last_entry()->epoch, epoch) << "the ledger's epoch changed while etcd had no quorum";
  expect_ledger_fenced();

  // Ticks: none ever ran twice, and over a calm stretch of N ticks there
  // were exactly N runs.
  int64_t calm_from = ::time(nullptr) + 1;
  std::this_thread::sleep_for(std::chrono::seconds(8));
  int64_t calm_to = ::time(nullptr) - 2;  // the last ticks' runs may still be under way
  std::map<std::string, int> runs;
  {
    std::ifstream in(ticks_);
    for (std::string line; std::getline(in, line);) ++runs[line.substr(0, line.find(' '))];
  }
  int twice = 0;
  for (const auto& [run, count] : runs) twice += count > 1;
  EXPECT_EQ(twice, 0) << "ticks run more than once";
  int calm_runs = 0;
  for (int64_t t = calm_from; t <= calm_to; ++t) {
    int count = runs.count("tick/" + std::to_string(t)) ? runs["tick/" + std::to_string(t)] : 0;
    EXPECT_EQ(count, 1) << "tick " << t << " of the calm stretch ran " << count << " times";
    calm_runs += count;
  }
  std::cout << "FLEET ticks: " << runs.size() << " run in all, none twice: " << (twice == 0) << "; calm stretch "
            << calm_to - calm_from + 1 << " ticks, " << calm_runs << " runs" << std::endl;
}

}  // namespace
}  // namespace itest
