#include "protocol/commands.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace backend::protocol {
namespace {

const std::set<std::string> kSupervisorCommands{"ADD", "DELETE", "UPDATE", "START", "STOP", "RESTART"};
const std::set<std::string> kListenerCommands{"GET",  "GETALL", "STATUS",    "STATUSALL", "READ",
                                              "MEM",  "MEMALL", "SERVERMEM", "SERVERREAD",
                                              "USAGE", "USAGEALL"};
// PROTOCOL.md "Parameters common to all commands".
const std::set<std::string> kNeedJobname{"ADD",   "DELETE", "UPDATE", "GET",  "START",
                                         "STOP",  "RESTART", "STATUS", "READ", "MEM", "USAGE"};

TEST(CommandsTest, EveryCoreCommandIsKnown) {
  for (const auto* set : {&kSupervisorCommands, &kListenerCommands}) {
    for (const auto& name : *set) {
      const CommandInfo* info = find_core_command(name);
      ASSERT_NE(info, nullptr) << name;
      EXPECT_EQ(info->name, name);
    }
  }
}

TEST(CommandsTest, Sides) {
  for (const auto& name : kSupervisorCommands) EXPECT_EQ(find_core_command(name)->side, Side::kSupervisor) << name;
  for (const auto& name : kListenerCommands) EXPECT_EQ(find_core_command(name)->side, Side::kListener) << name;
}

TEST(CommandsTest, NeedsJobname) {
  for (const auto* set : {&kSupervisorCommands, &kListenerCommands}) {
    for (const auto& name : *set) {
      EXPECT_EQ(find_core_command(name)->needs_jobname, kNeedJobname.count(name) == 1) << name;
    }
  }
}

TEST(CommandsTest, OnlySupervisorCommandsChangeState) {
  for (const auto* set : {&kSupervisorCommands, &kListenerCommands}) {
    for (const auto& name : *set) {
      EXPECT_EQ(find_core_command(name)->changes_state, kSupervisorCommands.count(name) == 1) << name;
    }
  }
}

TEST(CommandsTest, OthersAreNotCore) {
  for (std::string_view name : {"", "add", "Get", "QUERY", "QUERYALL", "AUTH.ADD", "SCHEDULER.GETALL",
                                "STATUSALLX", "STATU", "GET ", "NO_SUCH_COMMAND"}) {
    EXPECT_EQ(find_core_command(name), nullptr) << name;
  }
}

TEST(CommandsTest, EachIdNamesItsCommand) {
  EXPECT_EQ(core_commands().size(), kSupervisorCommands.size() + kListenerCommands.size());
  for (const CommandInfo& info : core_commands()) {
    EXPECT_EQ(command_name(info.id), info.name);
    EXPECT_EQ(find_core_command(info.name), &info);
  }
}

}  // namespace
}  // namespace backend::protocol
