// SystemdNotify against a socket of the test's own standing in for
// systemd's: what it sends, and that the environment never keeps
// NOTIFY_SOCKET for a child to find.
#include "master/systemd_notify.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace backend::master {
namespace {

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path + "/notify";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof addr.sun_path);
    std::copy(path_.begin(), path_.end(), addr.sun_path);
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) close(fd_);
  }
  // The next datagram, or "" after a second.
  std::string received() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 1000) != 1) return "";
    char buf[512];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  backend::testing::TempDir dir_{"notify-test"};
  std::string path_;
  int fd_ = -1;
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
