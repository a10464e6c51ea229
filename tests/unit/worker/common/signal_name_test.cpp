#include "worker/common/signal_name.h"

#include <gtest/gtest.h>

#include <csignal>

namespace backend::worker {
namespace {

TEST(SignalName, StandardSignalsByTheirAbbreviation) {
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGUSR2), "SIGUSR2");
}

TEST(SignalName, RealTimeSignalsByTheirNumber) {
  EXPECT_EQ(signal_name(SIGRTMIN), "SIG" + std::to_string(SIGRTMIN));
  EXPECT_EQ(signal_name(SIGRTMAX), "SIG" + std::to_string(SIGRTMAX));
}

TEST(SignalName, NumbersFromNamesWithOrWithoutSig) {
  EXPECT_EQ(signal_number("TERM"), SIGTERM);
  EXPECT_EQ(signal_number("SIGKILL"), SIGKILL);
  EXPECT_EQ(signal_number("USR2"), SIGUSR2);
  EXPECT_EQ(signal_number("NOPE"), 0);
  EXPECT_EQ(signal_number(""), 0);
  for (int s : {SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGTERM, SIGUSR1, SIGCHLD}) EXPECT_EQ(signal_number(signal_name(s)), s);
}

}  // namespace
}  // namespace backend::worker
