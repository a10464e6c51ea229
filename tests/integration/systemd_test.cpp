// The server under a Type=notify unit, with a datagram socket of the test's
// own standing in for systemd's NOTIFY_SOCKET: READY=1 once the supervisor
// took the saved jobs, RELOADING=1 and READY=1 around a SIGHUP, STOPPING=1
// at SIGTERM, and no job ever sees the socket.
#include <csignal>
#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/support/job_script.h"
#include "tests/support/notify_socket.h"
#include "tests/support/server_fixture.h"
#include "tests/support/temp_dir.h"

namespace itest {
namespace {

class SystemdTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(notify_.ok()) << notify_.path(); }

  // The server started as systemd starts it: NOTIFY_SOCKET in its
  // environment (and only in its, not the test's).
  ::testing::AssertionResult start_notified() {
    setenv("NOTIFY_SOCKET", notify_.path().c_str(), 1);
    auto started = s.start();
    unsetenv("NOTIFY_SOCKET");
    return started;
  }
  std::string next(int timeout_ms = 5000) { return notify_.next(timeout_ms); }

  backend::testing::TempDir dir_{"systemd-test"};
  NotifySocket notify_{dir_.path + "/notify"};
  Server s;
};

TEST_F(SystemdTest, ReadyOnceTheJobsAreTakenReloadingAroundAHupStoppingAtATerm) {
  // A saved job, so that "the supervisor took the jobs" means something.
  ASSERT_TRUE(s.start());
  auto j = write_script(s, "saved", "echo \"sock=[$NOTIFY_SOCKET]\"\n" + std::string(kIdle));
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"saved","command":")" + j.path + R"(","autostart":true})")));
  ASSERT_TRUE(s.stop());

  ASSERT_TRUE(start_notified());
  std::string ready = next();
  EXPECT_EQ(ready.rfind("READY=1\nSTATUS=serving 127.0.0.1:", 0), 0u) << ready;
  EXPECT_TRUE(ok(s.request("GET", R"({"jobname":"saved"})"))) << "READY=1 came before the saved jobs were loaded";

  // The job autostarted with the server: NOTIFY_SOCKET is not in its
  // environment.
  ASSERT_TRUE(wait_until([&] {
    auto r = s.request("READ", R"({"jobname":"saved"})");
    return r && r->raw.find("sock=[") != std::string::npos;
  }, 5000));
  auto read = s.request("READ", R"({"jobname":"saved"})");
  ASSERT_TRUE(read);
  EXPECT_NE(read->raw.find("sock=[]"), std::string::npos) << read->raw;

  s.signal(SIGHUP);
  std::string reloading = next();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_EQ(next(), "READY=1");

  ASSERT_TRUE(s.stop());
  EXPECT_EQ(next(), "STOPPING=1");
  EXPECT_EQ(next(200), "") << "nothing after STOPPING";
}

TEST_F(SystemdTest, ARefusedReloadSaysReadyAgainToo) {
  ASSERT_TRUE(start_notified());
  EXPECT_EQ(next().rfind("READY=1", 0), 0u);
  write_file(s.config_path, "{ this is no config");
  s.signal(SIGHUP);
  EXPECT_EQ(next().rfind("RELOADING=1", 0), 0u);
  EXPECT_EQ(next(), "READY=1") << "systemd would wait for the reload's end until its timeout";
  EXPECT_TRUE(ok(s.request("STATUSALL")));
}

// Whether the process has mapped a library whose file name starts with name.
bool maps_library(pid_t pid, const std::string& name) {
  return read_file("/proc/" + std::to_string(pid) + "/maps").value_or("").find("/" + name) != std::string::npos;
}

// libsystemd and libcurl (with the thirty libraries it needs) are loaded
// only by the server that uses them: outside systemd and a cluster they
// would be most of an idle server's memory.
TEST_F(SystemdTest, LibsystemdIsLoadedUnderSystemdOnlyAndLibcurlNeverOutsideACluster) {
  ASSERT_TRUE(s.start());
  std::vector<pid_t> pids{s.master_pid(), s.listener_pid(), s.supervisor_pid()};
  for (pid_t pid : pids) {
    ASSERT_GT(pid, 0);
    EXPECT_FALSE(maps_library(pid, "libsystemd.so")) << comm_of(pid);
    EXPECT_FALSE(maps_library(pid, "libcurl.so")) << comm_of(pid);
  }
  ASSERT_TRUE(s.stop());

  ASSERT_TRUE(start_notified());
  EXPECT_EQ(next().rfind("READY=1", 0), 0u);
  EXPECT_TRUE(maps_library(s.master_pid(), "libsystemd.so"));
  EXPECT_FALSE(maps_library(s.master_pid(), "libcurl.so"));
}

#ifdef BACKEND_STATIC_CXX_BUILD
// With spdlog, fmt and libstdc++ linked in (CMakeLists.txt), none of their
// shared libraries is loaded after all, by some library that needs one.
TEST_F(SystemdTest, NoCxxRuntimeLibraryIsLoadedWhenTheServerLinksItIn) {
  ASSERT_TRUE(s.start());
  for (pid_t pid : {s.master_pid(), s.listener_pid(), s.supervisor_pid()}) {
    ASSERT_GT(pid, 0);
    for (const char* library : {"libstdc++.so", "libspdlog.so", "libfmt.so", "libgcc_s.so"})
      EXPECT_FALSE(maps_library(pid, library)) << comm_of(pid) << " maps " << library;
  }
}
#endif

}  // namespace
}  // namespace itest
