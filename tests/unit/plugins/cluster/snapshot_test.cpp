#include "plugins/cluster/snapshot.h"

#include <gtest/gtest.h>

namespace backend::plugins::cluster {
namespace {

etcd::KeyValue kv(std::string key, std::string value, int64_t create = 1, int64_t mod = 1, int64_t lease = 0) {
  return {std::move(key), std::move(value), create, mod, 1, lease};
}

TEST(ClusterSnapshot, OneRangeReadGivesHostsJobsOwnersStatusAndRuns) {
  Keys keys("prod");
  etcd::RangeResponse range;
  range.header.revision = 40;
  range.kvs = {
      kv(keys.host("h1"), R"({"address":"10.0.0.1:13123","labels":{"zone":"a"}})", 5, 5, 111),
      kv(keys.host("h2"), R"({"address":"10.0.0.2:13123","labels":{}})", 6, 6, 222),
      kv(keys.drain("h2"), "draining"),
      kv(keys.job("ledger"), R"({"command":"/srv/ledger","stoptimeout":1})", 7, 9),
      kv(keys.job("broken"), R"({"command":"/x","placement":"nowhere"})"),
      kv(keys.owner("ledger"), "h1", 12, 12, 111),
      kv(keys.move("ledger"), "h2"),
      kv(keys.status("h1", "ledger"), R"({"state":"running","pid":321,"epoch":12})", 13, 13, 111),
      kv(keys.run("report", 99), R"({"host":"h2","state":"claimed","lease":222})", 20, 21),
      kv("/backend-server/prod/future/thing", "x"),
      kv(keys.runs("report") + "not-a-tick", "{}"),
  };
  Snapshot s = read_snapshot(keys, range);
  EXPECT_EQ(s.revision, 40);
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts["h1"].address, "10.0.0.1:13123");
  EXPECT_EQ(s.hosts["h1"].labels.at("zone"), "a");
  EXPECT_EQ(s.hosts["h1"].lease, 111);
  EXPECT_EQ(s.hosts["h1"].create_revision, 5);
  EXPECT_FALSE(s.hosts["h1"].draining);
  EXPECT_TRUE(s.hosts["h2"].draining);
  ASSERT_EQ(s.jobs.count("ledger"), 1u);
  EXPECT_EQ(s.jobs["ledger"].stop_timeout, 1u);
  EXPECT_EQ(s.job_revisions["ledger"], 9);
  ASSERT_EQ(s.bad_jobs.count("broken"), 1u);
  EXPECT_NE(s.bad_jobs["broken"].find("placement"), std::string::npos);
  EXPECT_EQ(s.owners["ledger"].host, "h1");
  EXPECT_EQ(s.owners["ledger"].epoch, 12);
  EXPECT_EQ(s.owners["ledger"].lease, 111);
  EXPECT_EQ(s.moves["ledger"], "h2");
  EXPECT_EQ(s.status["h1"]["ledger"].state, "running");
  EXPECT_EQ(s.status["h1"]["ledger"].pid, 321);
  EXPECT_EQ(s.status["h1"]["ledger"].epoch, 12);
  ASSERT_EQ(s.runs["report"].count(99), 1u);
  EXPECT_EQ(s.runs["report"][99].host, "h2");
  EXPECT_EQ(s.runs["report"][99].lease, 222);
  EXPECT_EQ(s.runs["report"][99].revision, 21);
  EXPECT_EQ(s.unknown_keys, 2u);
}

TEST(ClusterSnapshot, ValuesItWritesReadBack) {
  Keys keys("c");
  etcd::RangeResponse range;
  range.kvs = {kv(keys.host("h"), host_value("127.0.0.1:1", {{"k", "v"}})),
               kv(keys.status("h", "j"), status_value({"fenced", 9, 4})),
               kv(keys.run("j", 3), run_value({"h", "done", 0, 0}))};
  Snapshot s = read_snapshot(keys, range);
  EXPECT_EQ(s.hosts["h"].address, "127.0.0.1:1");
  EXPECT_EQ(s.hosts["h"].labels.at("k"), "v");
  EXPECT_EQ(s.status["h"]["j"].state, "fenced");
  EXPECT_EQ(s.status["h"]["j"].pid, 9);
  EXPECT_EQ(s.runs["j"][3].state, "done");
  EXPECT_EQ(s.runs["j"][3].lease, 0);
}

TEST(ClusterSnapshot, GarbageValuesAreNotFatal) {
  Keys keys("c");
  etcd::RangeResponse range;
  range.kvs = {kv(keys.host("h"), "not json"), kv(keys.status("h", "j"), "[1,2]"), kv(keys.job("j"), "{")};
  Snapshot s = read_snapshot(keys, range);
  EXPECT_EQ(s.hosts.count("h"), 1u);
  EXPECT_EQ(s.status["h"]["j"].state, "");
  EXPECT_EQ(s.bad_jobs.count("j"), 1u);
}

TEST(ClusterSnapshot, AnOrphanedTickIsTheOldestClaimedOneWhoseClaimersLeaseIsGone) {
  Snapshot s;
  s.hosts["alive"].lease = 10;
  s.hosts["restarted"].lease = 30;  // it claimed under lease 20, then came back with 30
  auto& runs = s.runs["report"];
  runs[100] = {"dead", "claimed", 5, 1};       // before the window
  runs[101] = {"dead", "done", 5, 2};          // done: never again
  runs[102] = {"alive", "claimed", 10, 3};     // its claimer still holds its lease: under way
  runs[103] = {"restarted", "claimed", 20, 4}; // orphaned
  runs[104] = {"dead", "claimed", 5, 5};       // orphaned, newer
  EXPECT_EQ(orphaned_tick(s, "report", 101), 103);
  EXPECT_EQ(orphaned_tick(s, "report", 100), 100);
  EXPECT_EQ(orphaned_tick(s, "report", 104), 104);
  EXPECT_EQ(orphaned_tick(s, "report", 105), std::nullopt);
  EXPECT_EQ(orphaned_tick(s, "other", 0), std::nullopt);
  runs[103].state = runs[104].state = "done";
  EXPECT_EQ(orphaned_tick(s, "report", 101), std::nullopt) << "a claimed tick of a live lease is not orphaned";
}

}  // namespace
}  // namespace backend::plugins::cluster
