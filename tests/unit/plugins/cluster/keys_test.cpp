#include "plugins/cluster/keys.h"

#include <gtest/gtest.h>

namespace backend::plugins::cluster {
namespace {

TEST(ClusterKeys, EveryKeyLivesUnderTheClustersPrefix) {
  Keys keys("prod");
  EXPECT_EQ(keys.root(), "/backend-server/prod/");
  EXPECT_EQ(keys.host("web-1"), "/backend-server/prod/hosts/web-1");
  EXPECT_EQ(keys.job("ledger"), "/backend-server/prod/jobs/ledger");
  EXPECT_EQ(keys.owner("ledger"), "/backend-server/prod/owner/ledger");
  EXPECT_EQ(keys.status("web-1", "ledger"), "/backend-server/prod/status/web-1/ledger");
  EXPECT_EQ(keys.run("report", 42), "/backend-server/prod/runs/report/42");
  EXPECT_EQ(keys.drain("web-1"), "/backend-server/prod/drain/web-1");
  EXPECT_EQ(keys.move("ledger"), "/backend-server/prod/move/ledger");
}

TEST(ClusterKeys, AKeyIsReadBackAsWhatItNames) {
  Keys keys("prod");
  auto status = keys.parse(keys.status("web-1", "ledger"));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->kind, Keys::Parsed::Kind::kStatus);
  EXPECT_EQ(status->first, "web-1");
  EXPECT_EQ(status->second, "ledger");
  auto run = keys.parse(keys.run("report", 7));
  ASSERT_TRUE(run);
  EXPECT_EQ(run->kind, Keys::Parsed::Kind::kRun);
  EXPECT_EQ(run->second, "7");
  for (auto [key, kind] : {std::pair{keys.host("h"), Keys::Parsed::Kind::kHost},
                           {keys.job("j"), Keys::Parsed::Kind::kJob},
                           {keys.owner("j"), Keys::Parsed::Kind::kOwner},
                           {keys.drain("h"), Keys::Parsed::Kind::kDrain},
                           {keys.move("j"), Keys::Parsed::Kind::kMove}}) {
    auto parsed = keys.parse(key);
    ASSERT_TRUE(parsed) << key;
    EXPECT_EQ(parsed->kind, kind) << key;
  }
}

TEST(ClusterKeys, StrangeKeysAreNotMisread) {
  Keys keys("prod");
  for (const char* key : {"/backend-server/other/jobs/a", "/backend-server/prod/jobs/", "/backend-server/prod/jobs/a/b",
                          "/backend-server/prod/status/h", "/backend-server/prod/status/h/", "/backend-server/prod/x/a",
                          "/backend-server/prod/hosts", "/backend-server/production/jobs/a"})
    EXPECT_FALSE(keys.parse(key)) << key;
}

}  // namespace
}  // namespace backend::plugins::cluster
