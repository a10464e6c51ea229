#include "conf/cluster_config.h"

#include <gtest/gtest.h>

#include "conf/config.h"

namespace backend::conf {
namespace {

std::optional<std::string> parse_block(const std::string& json, ClusterConfig& out) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return parse_cluster_config(doc, out);
}

TEST(ClusterConfig, WithoutTheBlockClusterModeIsOff) {
  Config c;
  ASSERT_FALSE(parse_config(R"({"data_dir": "/d"})", "/etc", c));
  ASSERT_FALSE(finish_config({}, c));
  EXPECT_FALSE(c.cluster.enabled);
  EXPECT_EQ(cluster_config_to_json(c.cluster), "null");
}

TEST(ClusterConfig, AFullBlockIsTakenWithItsDefaults) {
  ClusterConfig c;
  auto err = parse_block(
      R"({"etcd": ["http://127.0.0.1:2379", "http://10.0.0.2:2379/"], "name": "prod", "host": "web-1",
          "labels": {"zone": "a", "disk": "ssd"}})",
      c);
  ASSERT_FALSE(err) << *err;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.etcd, (std::vector<std::string>{"http://127.0.0.1:2379", "http://10.0.0.2:2379"}));
  EXPECT_EQ(c.name, "prod");
  EXPECT_EQ(c.host, "web-1");
  EXPECT_EQ(c.labels.at("zone"), "a");
  EXPECT_EQ(c.lease_ttl, 10u);
  EXPECT_EQ(c.request_timeout, 2u);
  EXPECT_EQ(c.address, "");
}

TEST(ClusterConfig, EachBadKeyIsNamed) {
  struct Case {
    const char* block;
    const char* named;
  } cases[] = {
      {R"({"name": "x"})", "\"etcd\""},
      {R"({"etcd": ["http://h:1"]})", "\"name\""},
      {R"({"etcd": [], "name": "x"})", "\"etcd\""},
      {R"({"etcd": ["h:2379"], "name": "x"})", "\"etcd\""},
      {R"({"etcd": ["http://h"], "name": "x"})", "\"etcd\""},
      {R"({"etcd": ["http://h:99999"], "name": "x"})", "\"etcd\""},
      {R"({"etcd": ["http://h:1/v3"], "name": "x"})", "\"etcd\""},
      {R"({"etcd": ["http://h:1"], "name": "a/b"})", "\"name\""},
      {R"({"etcd": ["http://h:1"], "name": "x", "host": ""})", "\"host\""},
      {R"({"etcd": ["http://h:1"], "name": "x", "labels": {"a": 1}})", "\"labels\""},
      {R"({"etcd": ["http://h:1"], "name": "x", "labels": {"a b": "c"}})", "\"labels\""},
      {R"({"etcd": ["http://h:1"], "name": "x", "lease_ttl": 1})", "\"lease_ttl\""},
      {R"({"etcd": ["http://h:1"], "name": "x", "lease_ttl": "10"})", "\"lease_ttl\""},
      {R"({"etcd": ["http://h:1"], "name": "x", "leasettl": 10})", "\"leasettl\""},
      {R"("on")", "object"},
  };
  for (const Case& k : cases) {
    ClusterConfig c;
    c.name = "kept";
    auto err = parse_block(k.block, c);
    ASSERT_TRUE(err) << k.block;
    EXPECT_NE(err->find(k.named), std::string::npos) << k.block << ": " << *err;
    EXPECT_EQ(c.name, "kept") << "a refused block changes nothing";
  }
}

TEST(ClusterConfig, TheHostIdDefaultsToTheHostname) {
  ClusterConfig c;
  ASSERT_FALSE(parse_block(R"({"etcd": ["http://h:1"], "name": "x"})", c));
  EXPECT_EQ(c.host, "");
  ASSERT_FALSE(finish_cluster_config(c));
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  std::string expected = name;
  expected = expected.substr(0, expected.find('.'));
  EXPECT_EQ(c.host, expected);
}

TEST(ClusterConfig, TheWorkersCopyOfTheConfigKeepsTheBlock) {
  Config c;
  ASSERT_FALSE(parse_config(
      R"({"data_dir": "/d", "cluster": {"etcd": ["http://h:1"], "name": "x", "labels": {"k": "v"}, "lease_ttl": 7}})",
      "/etc", c));
  ASSERT_FALSE(finish_config({}, c));
  Config copy;
  auto err = parse_config(config_to_json(c), "/", copy);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(copy.cluster, c.cluster);
  EXPECT_EQ(copy.cluster.lease_ttl, 7u);
  EXPECT_FALSE(copy.cluster.host.empty());
}

TEST(ClusterConfig, AChangeWaitsForTheNextStart) {
  Config running, next;
  ASSERT_FALSE(parse_config(R"({"data_dir": "/d", "cluster": {"etcd": ["http://h:1"], "name": "x"}})", "/", running));
  ASSERT_FALSE(parse_config(R"({"data_dir": "/d", "cluster": {"etcd": ["http://h:1"], "name": "y"}})", "/", next));
  EXPECT_EQ(hold_restart_only(running, next), "cluster");
  EXPECT_EQ(next.cluster.name, "x");
}

}  // namespace
}  // namespace backend::conf
