// SystemdNotify against a socket of the test's own standing in for
// systemd's: what it sends, and that the environment never keeps
// NOTIFY_SOCKET for a child to find.
#include "master/systemd_notify.h"

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/notify_socket.h"
#include "tests/support/temp_dir.h"

namespace backend::master {
namespace {

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(notify_.ok());
    setenv("NOTIFY_SOCKET", notify_.path().c_str(), 1);
  }
  void TearDown() override { unsetenv("NOTIFY_SOCKET"); }
  std::string received() { return notify_.next(1000); }

  backend::testing::TempDir dir_{"notify-test"};
  itest::NotifySocket notify_{dir_.path + "/notify"};
};

TEST_F(SystemdNotifyTest, TakesTheSocketOutOfTheEnvironmentAndKeepsItOut) {
  SystemdNotify notify;
  EXPECT_TRUE(notify.enabled());
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr) << "a worker or a job forked now would inherit it";
  notify.ready();
  EXPECT_EQ(received(), "READY=1");
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr) << "put back for the call only";
}

TEST_F(SystemdNotifyTest, SaysReadyWithAStatusReloadingAndStopping) {
  SystemdNotify notify;
  notify.ready("serving 127.0.0.1:1");
  EXPECT_EQ(received(), "READY=1\nSTATUS=serving 127.0.0.1:1");
  notify.reloading();
  std::string reloading = received();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_GT(std::stoull(reloading.substr(reloading.find('=', 12) + 1)), 0u) << reloading;
  notify.stopping();
  EXPECT_EQ(received(), "STOPPING=1");
}

TEST(SystemdNotifyOutside, WithoutNotifySocketItSaysNothingAndFailsNothing) {
  unsetenv("NOTIFY_SOCKET");
  SystemdNotify notify;
  EXPECT_FALSE(notify.enabled());
  notify.ready("x");
  notify.reloading();
  notify.stopping();
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
}

}  // namespace
}  // namespace backend::master
