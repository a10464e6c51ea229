#include "worker/common/command_table.h"

#include <gtest/gtest.h>

namespace backend::worker {
namespace {

using plugins::Code;
using plugins::CommandSpec;
using plugins::PluginInfo;
using plugins::Side;

struct Echo : plugins::Plugin {
  std::optional<std::string> configure(const rapidjson::Value&) override { return std::nullopt; }
  void inited(plugins::Host&) override {}
  void hello(const rapidjson::Value&, plugins::Done done) { done({Code::kOk, "\"hello\"", {}}); }
};

constexpr CommandSpec kEcho[] = {{"ECHO.HELLO", false, true, plugins::handler<&Echo::hello>}};
const PluginInfo kEchoInfo{"echo", Side::kListener, kEcho, nullptr};

TEST(CommandTable, HoldsEveryCoreCommandWithItsSideAndId) {
  CommandTable table;
  for (const protocol::CommandInfo& info : protocol::core_commands()) {
    const Command* c = table.find(info.name);
    ASSERT_NE(c, nullptr) << info.name;
    EXPECT_EQ(c->core, &info);
    EXPECT_EQ(c->side, info.side);
    EXPECT_EQ(c->needs_jobname, info.needs_jobname);
    EXPECT_EQ(c->spec, nullptr);
  }
  EXPECT_EQ(table.find("ECHO.HELLO"), nullptr);
  EXPECT_EQ(table.find("status"), nullptr);
}

TEST(CommandTable, APluginsCommandsCarryTheirHandler) {
  CommandTable table;
  Echo echo;
  table.add(kEchoInfo, &echo);
  const Command* c = table.find("ECHO.HELLO");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->side, Side::kListener);
  EXPECT_TRUE(c->changes_state);
  EXPECT_EQ(c->core, nullptr);
  ASSERT_EQ(c->plugin, &echo);
  std::optional<plugins::Reply> reply;
  rapidjson::Document params(rapidjson::kObjectType);
  c->spec->handler(*c->plugin, params, [&](plugins::Reply r) { reply = std::move(r); });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->data, "\"hello\"");
}

TEST(CommandTable, AnotherSidesPluginIsKnownWithoutItsObject) {
  CommandTable table;
  table.add(kEchoInfo, nullptr);
  const Command* c = table.find("ECHO.HELLO");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->plugin, nullptr);
  EXPECT_NE(c->spec, nullptr);
}

}  // namespace
}  // namespace backend::worker
