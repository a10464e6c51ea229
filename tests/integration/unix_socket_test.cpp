// The Unix socket listener (unix_socket, unix_socket_mode,
// unix_socket_owner): the same protocol as the TCP port, on a socket file
// made with the mode and owner the config gives, replaced when stale,
// never when it is anything else, and removed at the stop.
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

class UnixSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    path = s.dir + "/api.sock";
    s.set("unix_socket", "\"" + path + "\"");
  }

  std::optional<Reply> request(std::string_view command, std::string_view params = {}) {
    WireClient c;
    std::string error;
    if (!c.connect_unix(path, 2000, &error)) {
      ADD_FAILURE() << "connect to " << path << ": " << error;
      return std::nullopt;
    }
    return c.request(command, params);
  }

  // A socket file at path, bound, listening only while `listening`.
  int make_socket(bool listening) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    if (listening) {
      EXPECT_EQ(listen(fd, 4), 0);
    }
    return fd;
  }

  CommandResult start_expecting_failure() {
    s.write_config();
    return run_command({server_bin(), "-c", s.config_path}, 10000);
  }

  Server s;
  std::string path;
};

TEST_F(UnixSocket, ServesTheSameProtocolAsTheTcpPortAndIsRemovedAtTheStop) {
  ASSERT_TRUE(s.start());
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u) << "the default mode, as supervisord's";
  EXPECT_EQ(st.st_uid, geteuid());
  auto added = request("ADD", R"({"jobname":"via-unix","command":"/bin/true"})");
  ASSERT_TRUE(ok(added)) << raw_of(added);
  auto got = s.request("GET", R"({"jobname":"via-unix"})");
  EXPECT_TRUE(ok(got)) << "added over the Unix socket, not seen over TCP: " << raw_of(got);
  auto status = request("STATUSALL");
  EXPECT_TRUE(ok(status)) << raw_of(status);
  EXPECT_NE(raw_of(status).find("via-unix"), std::string::npos) << raw_of(status);
  EXPECT_TRUE(s.wait_for_log("and on " + path)) << s.log_text();

  // A respawned listener serves it again: the master keeps the socket.
  pid_t listener = s.listener_pid();
  ASSERT_EQ(kill(listener, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] {
    WireClient c;
    return s.listener_pid() != listener && c.connect_unix(path, 200) && ok(c.request("STATUSALL", {}, 500));
  }, 5000));

  ASSERT_TRUE(s.stop());
  EXPECT_NE(lstat(path.c_str(), &st), 0) << "the socket file outlived the server";
}

TEST_F(UnixSocket, ModeAndOwnerComeFromTheConfig) {
  if (geteuid() != 0) GTEST_SKIP() << "giving the socket to another user needs root";
  s.set("unix_socket_mode", "\"0660\"");
  s.set("unix_socket_owner", "\"nobody:nogroup\"");
  ASSERT_TRUE(s.start());
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_uid, getpwnam("nobody")->pw_uid);
  EXPECT_EQ(st.st_gid, getgrnam("nogroup")->gr_gid);
  EXPECT_TRUE(ok(request("STATUSALL")));
}

TEST_F(UnixSocket, AStaleSocketIsReplacedAndAnythingElseStopsTheStart) {
  close(make_socket(false));  // what a server killed outright leaves
  ASSERT_TRUE(s.start());
  EXPECT_TRUE(ok(request("STATUSALL")));
  ASSERT_TRUE(s.stop());

  write_file(path, "not a socket");
  CommandResult r = start_expecting_failure();
  EXPECT_TRUE(r.exited() && r.exit_code() == 1) << r.describe();
  EXPECT_NE(r.err.find(path + " exists and is not a socket"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(path).value_or(""), "not a socket") << "the file was touched";
  EXPECT_FALSE(port_accepts(s.port));
  unlink(path.c_str());

  int live = make_socket(true);
  r = start_expecting_failure();
  EXPECT_TRUE(r.exited() && r.exit_code() == 1) << r.describe();
  EXPECT_NE(r.err.find("another server listens on " + path), std::string::npos) << r.err;
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << "a live socket was removed";
  close(live);
}

TEST_F(UnixSocket, AnUnknownOwnerStopsTheStartAndLeavesNoSocket) {
  s.set("unix_socket_owner", "\"nobody:no-such-group-here\"");
  CommandResult r = start_expecting_failure();
  EXPECT_TRUE(r.exited() && r.exit_code() == 1) << r.describe();
  EXPECT_NE(r.err.find("unix_socket_owner: there is no group \"no-such-group-here\""), std::string::npos) << r.err;
  struct stat st {};
  EXPECT_NE(lstat(path.c_str(), &st), 0);
}

}  // namespace
}  // namespace itest
