#include "worker/common/plugin_host.h"

#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace backend::worker {
namespace {

using plugins::Code;
using plugins::CommandSpec;
using plugins::PluginInfo;
using plugins::Side;

// A plugin that takes one setting, "n" (an integer), and records its hooks.
struct Recorder : plugins::Plugin {
  static inline std::vector<std::string> events;
  std::optional<std::string> configure(const rapidjson::Value& s) override {
    for (auto& m : s.GetObject())
      if (std::string(m.name.GetString()) != "n" || !m.value.IsInt()) return std::string("bad setting");
    events.push_back("configure");
    return std::nullopt;
  }
  void inited(plugins::Host& host) override { events.push_back("inited " + host.data_dir); }
  plugins::Verdict received(std::string_view command, const rapidjson::Value&) override {
    if (command == "FORBIDDEN") return {plugins::Reply{Code::kDenied, {}, "no"}, {}};
    return {};
  }
  void finished(std::string_view command, const rapidjson::Value&, Code) override {
    events.push_back("finished " + std::string(command));
  }
};

constexpr std::array<CommandSpec, 1> kListenerCommands{{{"ONE.GET", false, false, nullptr}}};
constexpr std::array<CommandSpec, 1> kSupervisorCommands{{{"TWO.ADD", true, true, nullptr}}};

const std::array<PluginInfo, 2> kAll{{
    {"one", Side::kListener, kListenerCommands, [] { return std::unique_ptr<plugins::Plugin>(new Recorder); }},
    {"two", Side::kSupervisor, kSupervisorCommands, [] { return std::unique_ptr<plugins::Plugin>(new Recorder); }},
}};

conf::Config config(std::vector<std::string> load, std::map<std::string, std::string> settings = {}) {
  conf::Config c;
  c.autoload_plugins = std::move(load);
  c.plugin_settings = std::move(settings);
  return c;
}

TEST(PluginHost, CheckNamesAnUnknownPluginOrABadSetting) {
  EXPECT_FALSE(PluginHost::check(kAll, config({"*"})));
  auto err = PluginHost::check(kAll, config({"one", "three"}));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("\"three\""), std::string::npos) << *err;
  err = PluginHost::check(kAll, config({"*"}, {{"two", R"({"n":"x"})"}}));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("\"two\""), std::string::npos) << *err;
  err = PluginHost::check(kAll, config({"one"}, {{"nine", "{}"}}));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("\"nine\""), std::string::npos) << *err;
  // A plugin that is not loaded may still have settings, checked or not.
  EXPECT_FALSE(PluginHost::check(kAll, config({"one"}, {{"two", R"({"n":1})"}})));
}

TEST(PluginHost, EachSideMakesOnlyItsOwnPluginsButRoutesBoth) {
  Recorder::events.clear();
  PluginHost listener(kAll, Side::kListener);
  ASSERT_FALSE(listener.load(config({"*"})));
  EXPECT_EQ(Recorder::events, std::vector<std::string>{"configure"});
  auto own = listener.commands().find("ONE.GET");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->side, Side::kListener);
  EXPECT_NE(own->plugin, nullptr);
  auto other = listener.commands().find("TWO.ADD");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->side, Side::kSupervisor);
  EXPECT_EQ(other->plugin, nullptr);
  EXPECT_TRUE(other->spec->needs_jobname);
  EXPECT_FALSE(listener.commands().find("THREE.X"));
  auto core = listener.commands().find("STATUS");  // the core commands are there too
  ASSERT_TRUE(core);
  ASSERT_TRUE(core->core);
  EXPECT_EQ(core->core->id, protocol::CoreCommand::kStatus);
}

TEST(PluginHost, PluginsNotLoadedOwnNoCommands) {
  PluginHost listener(kAll, Side::kListener);
  ASSERT_FALSE(listener.load(config({"two"})));
  EXPECT_FALSE(listener.commands().find("ONE.GET"));
  EXPECT_TRUE(listener.commands().find("TWO.ADD"));
  EXPECT_TRUE(listener.empty());
}

TEST(PluginHost, HooksReachThePluginsWithTheirOwnDataFolder) {
  Recorder::events.clear();
  PluginHost host(kAll, Side::kSupervisor);
  ASSERT_FALSE(host.load(config({"*"})));
  plugins::Host base;
  backend::testing::TempDir data;
  base.data_dir = data.path;
  host.inited(base);
  rapidjson::Document params(rapidjson::kObjectType);
  host.finished("STOP", params, Code::kOk);
  EXPECT_EQ(Recorder::events,
            (std::vector<std::string>{"configure", "inited " + base.data_dir + "/two", "finished STOP"}));
}

TEST(PluginHost, TheFirstRefusalWins) {
  PluginHost host(kAll, Side::kListener);
  ASSERT_FALSE(host.load(config({"*"})));
  rapidjson::Document params(rapidjson::kObjectType);
  EXPECT_FALSE(host.received("STATUS", params).refusal);
  auto verdict = host.received("FORBIDDEN", params);
  ASSERT_TRUE(verdict.refusal);
  EXPECT_EQ(verdict.refusal->code, Code::kDenied);
}

TEST(PluginHost, AReloadWithABadSettingKeepsTheOldOne) {
  Recorder::events.clear();
  PluginHost host(kAll, Side::kListener);
  ASSERT_FALSE(host.load(config({"*"})));
  host.reconfigure(config({"*"}, {{"one", R"({"n":"bad"})"}}));
  host.reconfigure(config({"*"}, {{"one", R"({"n":2})"}}));
  EXPECT_EQ(Recorder::events, (std::vector<std::string>{"configure", "configure"}));
}

}  // namespace
}  // namespace backend::worker
