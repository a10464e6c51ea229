// The fleet end to end: a 3-member etcd cluster on loopback ports, three
// servers (h1, h2, h3), each reaching every etcd member through a TCP proxy
// of its own that the test can pause. Cluster jobs: "ledger" (any; appends
// "HOST EPOCH NANOS" every 200 ms, fenced by its epoch:
// tests/support/fenced_ledger.c), "tick" (a schedule every second, each run
// appending its run id) and "everywhere" (all). Then, one at a time: the
// owner's server killed outright, the owner stopped, the owner cut off from
// etcd past its lease, the etcd leader killed, two etcd members down. And
// what operators do: a job moved, a host drained; and an at-least-once
// schedule whose host dies mid-run. The figures are printed as FLEET lines
// (tests/RELIABILITY.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/etcd_cluster.h"
#include "tests/support/server_fixture.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"

#ifndef BACKENDCTL_BIN
#error "BACKENDCTL_BIN must be defined by the build"
#endif
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

  // The three jobs above, and `more` ("name": {...} entries) beside them.
  void apply(const std::string& more = "") {
    std::string jobs =
        std::string(R"({"jobs": {)") + more + (more.empty() ? "" : ",") + R"("ledger": {"command": ")" +
        FENCED_LEDGER_BIN + R"(", "params": ")" + ledger_ + R"(", "stoptimeout": 1},)" +
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
  // alone); then it starts again on the same data. All at once: killed one
  // after the other, a supervisor that outlived its master by a moment once
  // took the master's death for a stop (its parent-death signal was
  // SIGTERM); it stopped the jobs, the cluster agent recorded a report run
  // cut short as done, and no host ran that tick again.
  void kill_server_only(int h) { kill_whole_server(server(h)); }

  // backendctl against server h, as an operator runs it.
  CommandResult ctl(int h, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", BACKENDCTL_BIN, "--port",
                                     std::to_string(server(h).port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 20000);
  }

  bool runs_everywhere(int h) {
    auto r = server(h).request("STATUS", R"({"jobname": "everywhere"})");
    return r && r->ok() && r->data_json() == "\"UP\"";
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
    EXPECT_TRUE(wait_until([&] { return runs_everywhere(h); }, 5000)) << "\"everywhere\" does not run on " << host(h);

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

// A run of the "report" schedule, as its shell wrote it: RUN_ID HOST start|done.
struct RunLine {
  std::string run_id, host, what;
};

std::vector<RunLine> read_runs(const std::string& path) {
  std::vector<RunLine> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    RunLine r;
    if (fields >> r.run_id >> r.host >> r.what) lines.push_back(r);
  }
  return lines;
}

TEST_F(FleetTest, OperatorsMoveAJobAndDrainAHostAndADeadHostsTickRunsAgain) {
  std::string runs = dir_.path + "/runs";
  apply(R"("report": {"command": "/bin/sh", "params": "-c 'echo $BACKEND_RUN_ID $BACKEND_HOST start >> )" + runs +
        R"(; sleep 5; echo $BACKEND_RUN_ID $BACKEND_HOST done >> )" + runs +
        R"('", "schedule": {"every": 1}, "delivery": "at_least_once", "stoptimeout": 1})");
  ASSERT_TRUE(wait_until([&] { return last_entry().has_value(); }, 10000)) << "the ledger job never wrote";
  for (int h = 0; h < 3; ++h)
    ASSERT_TRUE(wait_until([&] { return runs_everywhere(h); }, 5000)) << "\"everywhere\" does not run on " << host(h);

  // 1. CLUSTER.MOVE: the owner stops its copy, then the target claims it.
  auto refused = server(0).request("CLUSTER.MOVE", R"({"jobname": "ledger", "host": "h9"})");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok()) << "a move to a host that is not live was taken: " << refused->raw;
  refused = server(0).request("CLUSTER.MOVE", R"({"jobname": "nosuchjob", "host": "h1"})");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok()) << "a move of a job that is not the cluster's was taken: " << refused->raw;
  std::string owner = last_entry()->host;
  std::string target = host((index_of(owner) + 1) % 3);
  int64_t moved_at = now_ns();
  CommandResult moved = ctl(1, {"cluster", "move", "ledger", target});
  ASSERT_EQ(moved.exit_code(), 0) << moved.describe();
  auto next = wait_new_writer(owner, moved_at, 5000);
  ASSERT_TRUE(next) << "the ledger did not leave " << owner << " within 5 s of CLUSTER.MOVE";
  EXPECT_EQ(next->host, target) << "the ledger moved, but not where it was sent";
  std::cout << "FLEET CLUSTER.MOVE: ledger moved from " << owner << " to " << next->host << " in "
            << (next->nanos - moved_at) / 1e9 << " s" << std::endl;
  expect_ledger_fenced();

  // 2. CLUSTER.DRAIN of the ledger's host: it gives the ledger up and its
  // copy of "everywhere" stops; undone, "everywhere" is back and the ledger
  // stays where it went.
  int drained = index_of(target);
  int64_t drained_at = now_ns();
  CommandResult drain = ctl(2, {"cluster", "drain", target});
  ASSERT_EQ(drain.exit_code(), 0) << drain.describe();
  next = wait_new_writer(target, drained_at, 5000);
  ASSERT_TRUE(next) << "the ledger did not leave " << target << " within 5 s of CLUSTER.DRAIN";
  std::cout << "FLEET CLUSTER.DRAIN: ledger moved from " << target << " to " << next->host << " in "
            << (next->nanos - drained_at) / 1e9 << " s" << std::endl;
  EXPECT_TRUE(wait_until([&] { return !runs_everywhere(drained); }, 5000))
      << "\"everywhere\" still runs on the drained " << target;
  auto ls = server(0).request("CLUSTER.LS", "{}");
  ASSERT_TRUE(ls && ls->ok()) << (ls ? ls->raw : "no reply");
  bool shown_draining = false;
  for (const auto& h : ls->data()["hosts"].GetArray())
    if (h["host"].GetString() == target) shown_draining = h["draining"].GetBool();
  EXPECT_TRUE(shown_draining) << "CLUSTER.LS does not show " << target << " draining: " << ls->raw;
  // The operator's view: every host, and each job with its owner.
  CommandResult view = ctl(0, {"cluster", "ls"});
  ASSERT_EQ(view.exit_code(), 0) << view.describe();
  for (int h = 0; h < 3; ++h) EXPECT_NE(view.out.find(host(h)), std::string::npos) << view.out;
  for (const char* job : {"ledger", "report", "everywhere", "tick"})
    EXPECT_NE(view.out.find(job), std::string::npos) << view.out;
  std::cout << "FLEET backendctl cluster ls while " << target << " drains:\n" << view.out << std::endl;
  std::string new_owner = next->host;
  CommandResult undo = ctl(0, {"cluster", "drain", target, "--undo"});
  ASSERT_EQ(undo.exit_code(), 0) << undo.describe();
  EXPECT_TRUE(wait_until([&] { return runs_everywhere(drained); }, 5000))
      << "\"everywhere\" does not run again on " << target << " once its drain is undone";
  EXPECT_EQ(last_entry()->host, new_owner) << "the ledger moved back when the drain was undone";
  expect_ledger_fenced();

  // 3. The host of a report run dies a second or two into its five:
  // once its lease has lapsed, another host runs that tick again, under
  // the same run id.
  int victim = -1;
  int pid = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        for (int h = 0; h < 3; ++h) {
          auto st = server(h).request("STATUS", R"({"jobname": "report", "detail": true})");
          if (!st || !st->ok() || !st->data()["pid"].IsInt() || !st->data()["uptime"].IsNumber()) continue;
          // Whole seconds, one time less another: 2 is 1 to 3 s into the run,
          // past its first line and 2 s or more before its last. (1 could be
          // a millisecond after the start, before the shell wrote its line:
          // the victim's last "start" would then be an earlier, finished run.)
          double uptime = st->data()["uptime"].GetDouble();
          if (uptime != 2) continue;
          victim = h;
          pid = st->data()["pid"].GetInt();
          return true;
        }
        return false;
      },
      10000, 20))
      << "no host began a report run";
  kill_server_only(victim);
  ::kill(-pid, SIGKILL);  // the run dies with its host
  int64_t died_at = now_ns();
  std::string orphan;
  for (const RunLine& line : read_runs(runs))
    if (line.host == host(victim) && line.what == "start") orphan = line.run_id;
  for (const RunLine& line : read_runs(runs))
    ASSERT_FALSE(line.run_id == orphan && line.what == "done") << orphan << " was done before its host died";
  ASSERT_FALSE(orphan.empty());
  std::string rerun_by;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const RunLine& line : read_runs(runs))
          if (line.run_id == orphan && line.what == "start" && line.host != host(victim)) rerun_by = line.host;
        return !rerun_by.empty();
      },
      (kLeaseTtl + 12) * 1000))  // the lease, then the run under way on the next host (5 s)
      << orphan << ", cut short when " << host(victim) << " died, was not run again (at_least_once)";
  std::cout << "FLEET at_least_once: " << orphan << " of dead " << host(victim) << " run again by " << rerun_by
            << " " << (now_ns() - died_at) / 1e9 << " s after" << std::endl;
  EXPECT_TRUE(wait_until(
      [&] {
        for (const RunLine& line : read_runs(runs))
          if (line.run_id == orphan && line.what == "done") return true;
        return false;
      },
      8000))
      << "the run again of " << orphan << " never finished";
  // Every run that finished started once; the orphan twice.
  std::map<std::string, int> starts;
  std::set<std::string> done;
  for (const RunLine& line : read_runs(runs)) {
    if (line.what == "start") ++starts[line.run_id];
    if (line.what == "done") done.insert(line.run_id);
  }
  for (const auto& [run_id, count] : starts)
    EXPECT_EQ(count, run_id == orphan ? 2 : 1) << run_id << " started " << count << " times";
  EXPECT_EQ(done.count(orphan), 1u);
  // Back, the dead host stops what it ran before and is a member again.
  ASSERT_TRUE(server(victim).start());
  EXPECT_TRUE(wait_until([&] { return runs_everywhere(victim); }, (kLeaseTtl + 3) * 1000))
      << host(victim) << " does not run \"everywhere\" again after its restart";
}

}  // namespace
}  // namespace itest
