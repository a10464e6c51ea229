#include "plugins/cluster/job_definition.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace backend::plugins::cluster {
namespace {

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  return doc;
}

TEST(JobDefinition, DefaultsAreAnyStopAtMostOnceAndAShortStop) {
  JobDefinition d;
  auto err = parse_definition("ledger", R"({"command": "/srv/ledger"})", d);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(d.name, "ledger");
  EXPECT_EQ(d.placement.kind, Placement::Kind::kAny);
  EXPECT_EQ(d.on_partition, JobDefinition::OnPartition::kStop);
  EXPECT_EQ(d.delivery, JobDefinition::Delivery::kAtMostOnce);
  EXPECT_EQ(d.every, 0u);
  EXPECT_EQ(d.stop_timeout, kDefaultStopTimeout);
  auto settings = parse(d.settings);
  EXPECT_EQ(std::string(settings["command"].GetString()), "/srv/ledger");
  EXPECT_EQ(settings["stoptimeout"].GetUint(), kDefaultStopTimeout);
  EXPECT_FALSE(settings.HasMember("placement"));
  EXPECT_FALSE(settings.HasMember("jobname"));
}

TEST(JobDefinition, ItsOwnKeysAreTakenOutOfTheSettings) {
  JobDefinition d;
  auto err = parse_definition(
      "report",
      R"({"command": "/bin/report", "stoptimeout": 2, "placement": "host:web-1", "labels": {"zone": "a"},
          "on_partition": "keep", "schedule": {"every": 60}, "delivery": "at_least_once", "env": {"A": "1"}})",
      d);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(d.placement.kind, Placement::Kind::kHost);
  EXPECT_EQ(d.placement.host, "web-1");
  EXPECT_EQ(d.selector.at("zone"), "a");
  EXPECT_EQ(d.on_partition, JobDefinition::OnPartition::kKeep);
  EXPECT_EQ(d.every, 60u);
  EXPECT_EQ(d.delivery, JobDefinition::Delivery::kAtLeastOnce);
  EXPECT_EQ(d.stop_timeout, 2u);
  auto settings = parse(d.settings);
  for (const char* key : {"placement", "labels", "on_partition", "schedule", "delivery"})
    EXPECT_FALSE(settings.HasMember(key)) << key;
  EXPECT_EQ(std::string(settings["env"]["A"].GetString()), "1");
}

TEST(JobDefinition, StoredFormReadsBackTheSame) {
  JobDefinition d, again;
  ASSERT_FALSE(parse_definition(
      "report",
      R"({"command": "/bin/report", "labels": {"zone": "a"}, "schedule": {"every": 5}, "delivery": "at_least_once"})",
      d));
  auto err = parse_definition("report", definition_to_json(d), again);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(again, d);
}

TEST(JobDefinition, BadDefinitionsAreRefusedNamingTheKey) {
  struct Case {
    const char* json;
    const char* named;
  } cases[] = {
      {R"([])", "object"},
      {R"({})", "command"},
      {R"({"command": "x", "placement": "some"})", "placement"},
      {R"({"command": "x", "placement": 1})", "placement"},
      {R"({"command": "x", "labels": {"a": 1}})", "labels"},
      {R"({"command": "x", "on_partition": "run"})", "on_partition"},
      {R"({"command": "x", "schedule": {"every": 0}})", "schedule"},
      {R"({"command": "x", "schedule": {"cron": "* * * * *"}})", "schedule"},
      {R"({"command": "x", "delivery": "exactly_once"})", "delivery"},
      {R"({"command": "x", "placement": "all", "schedule": {"every": 1}})", "all"},
      {R"({"command": "x", "guard": true})", "guard"},
      {R"({"command": "x", "cluster": "other"})", "cluster"},
      {R"({"command": "x", "jobname": "y"})", "jobname"},
      {R"({"command": "x", "stoptimeout": -1})", "stoptimeout"},
  };
  for (const Case& c : cases) {
    JobDefinition d;
    auto err = parse_definition("j", c.json, d);
    ASSERT_TRUE(err) << c.json;
    EXPECT_NE(err->find(c.named), std::string::npos) << c.json << ": " << *err;
  }
}

TEST(JobDefinition, TheLocalCopyIsMarkedUnguardedAndCarriesItsEpochAndRun) {
  JobDefinition d;
  ASSERT_FALSE(
      parse_definition("report", R"({"command": "/bin/report", "env": {"A": "1", "BACKEND_EPOCH": "forged"}})", d));
  auto settings = parse(local_settings(d, "prod", "web-1", 77, "report/123"));
  EXPECT_EQ(std::string(settings["cluster"].GetString()), "prod");
  EXPECT_FALSE(settings["guard"].GetBool());
  EXPECT_FALSE(settings["autostart"].GetBool());
  EXPECT_EQ(std::string(settings["env"]["BACKEND_EPOCH"].GetString()), "77");
  EXPECT_EQ(std::string(settings["env"]["BACKEND_RUN_ID"].GetString()), "report/123");
  EXPECT_EQ(std::string(settings["env"]["A"].GetString()), "1");
  EXPECT_EQ(std::string(settings["env"]["BACKEND_HOST"].GetString()), "web-1");
  EXPECT_EQ(cluster_of(local_settings(d, "prod", "web-1", 1)), "prod");
  EXPECT_FALSE(parse(local_settings(d, "prod", "web-1", 1))["env"].HasMember("BACKEND_RUN_ID"));
  EXPECT_EQ(cluster_of(R"({"command": "x"})"), "");
  EXPECT_EQ(cluster_of("not json"), "");
}

}  // namespace
}  // namespace backend::plugins::cluster
