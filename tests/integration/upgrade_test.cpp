// The upgrade in place (SIGUSR2): the binary at the server's path, replaced
// as a package replaces it, takes over the running server. Under load: 20
// jobs printing a numbered line every millisecond, 32 clients asking
// STATUS. The jobs keep their pids, every line is in the logs once, no
// request gets an error, and the new build answers (backend_build_info). A
// binary that cannot take over changes nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/job_logs.h"
#include "tests/support/job_script.h"
#include "tests/support/notify_socket.h"
#include "tests/support/server_fixture.h"
#include "tests/support/temp_dir.h"

#ifndef BACKEND_SERVER_NEXT_BIN
#error "BACKEND_SERVER_NEXT_BIN must be defined by the build"
#endif

namespace itest {
namespace {

namespace fs = std::filesystem;

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path + "/backend-server";
    put_binary(server_bin());
    s.binary = path_;
    if (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()).find("Systemd") !=
        std::string::npos)
      return;  // that test starts it itself
    ASSERT_TRUE(s.start());
  }
  // As a package does: the new file beside the old, renamed over it (the
  // running file is never written to).
  void put_binary(const std::string& from) {
    fs::copy_file(from, path_ + ".new", fs::copy_options::overwrite_existing);
    fs::permissions(path_ + ".new", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    fs::rename(path_ + ".new", path_);
  }
  std::string build_version() {
    auto r = http_exchange(s.http_port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(s.http_port) +
                                            "\r\n\r\n");
    if (!r) return "";
    auto at = r->body.find("backend_build_info{version=\"");
    if (at == std::string::npos) return "";
    at += 28;
    return r->body.substr(at, r->body.find('"', at) - at);
  }

  backend::testing::TempDir dir_{"upgrade-test"};
  std::string path_;
  Server s;
};

TEST_F(UpgradeTest, UnderLoadTheNewBuildTakesOverAndTheJobsRunOnWithEveryLineOnce) {
  constexpr int kJobs = 20, kClients = 32;
  std::vector<JobScript> jobs;
  std::vector<pid_t> pids;
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(write_script(s, "n" + std::to_string(i), number_printer_body(1000, 1, 0)));
    ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":")" + jobs.back().name + R"(","command":")" + jobs.back().path +
                                        R"(","writelog":true})")));
    pids.push_back(start_job(s, jobs.back()));
    ASSERT_GT(pids.back(), 0);
  }
  const pid_t master = s.master_pid();
  const std::string before = build_version();
  ASSERT_FALSE(before.empty());

  std::atomic<bool> stop{false};
  std::atomic<long> answered{0}, errors{0}, reconnects{0};
  std::vector<std::string> first_error(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      WireClient w;
      std::string params = R"({"jobname":"n)" + std::to_string(c % kJobs) + R"("})";
      while (!stop) {
        if (!w.connected() && !w.connect(s.port, 1000)) {
          usleep(2000);
          continue;
        }
        auto r = w.request("STATUS", params, 5000);
        if (!r) {  // the old listener closed: a reconnect, no error
          w.close();
          ++reconnects;
          continue;
        }
        ++answered;
        if (!r->ok() || r->raw.find("\"UP\"") == std::string::npos) {
          if (errors++ == 0) first_error[c] = r->raw;
        }
      }
    });
  usleep(500 * 1000);
  put_binary(BACKEND_SERVER_NEXT_BIN);
  s.signal(SIGUSR2);
  EXPECT_TRUE(wait_until([&] { return build_version() == BACKEND_NEXT_VERSION; }, 15000))
      << "still " << build_version();
  long at_upgrade = answered;
  usleep(500 * 1000);
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors, 0) << [&] {
    for (const auto& e : first_error)
      if (!e.empty()) return e;
    return std::string();
  }();
  EXPECT_GT(answered, at_upgrade) << "no request was answered after the upgrade";
  std::cout << "[ upgrade  ] " << answered << " STATUS answered, " << reconnects << " reconnects\n";

  EXPECT_EQ(s.master_pid(), master);
  EXPECT_TRUE(s.master_alive());
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_TRUE(process_alive(pids[i])) << jobs[i].name;
    EXPECT_EQ(read_pidfile(jobs[i].pidfile), pids[i]) << jobs[i].name << " was started again";
  }
  for (const auto& j : jobs) EXPECT_TRUE(ok(s.request("STOP", R"({"jobname":")" + j.name + R"("})", 15000)));
  for (const auto& j : jobs) {
    SCOPED_TRACE(j.name);
    std::string exit_line = "Process \"" + j.name + "\" killed by signal SIGTERM.";
    std::string log;
    EXPECT_TRUE(wait_until([&] { return (log = job_log_text(s, j.name, false)).find(exit_line) != std::string::npos; },
                           3000, 20));
    NumberStats st = number_stats(log, j.name);
    EXPECT_EQ(st.first, 1);
    EXPECT_EQ(st.gaps, 0) << "first missing " << st.first_gap;
    EXPECT_EQ(st.duplicates, 0);
    EXPECT_EQ(st.out_of_order, 0);
    EXPECT_GT(st.count, 500) << "the job printed for over a second";
  }
}

TEST_F(UpgradeTest, ABinaryThatCannotTakeOverChangesNothing) {
  auto j = write_script(s, "steady", kIdle);
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"steady","command":")" + j.path + R"("})")));
  pid_t pid = start_job(s, j);
  ASSERT_GT(pid, 0);
  const std::string before = build_version();
  const pid_t listener = s.listener_pid(), supervisor = s.supervisor_pid();
  {
    std::ofstream broken(path_ + ".new");
    broken << "#!/bin/sh\necho 'not a server' >&2\nexit 3\n";
  }
  fs::permissions(path_ + ".new", fs::perms::owner_all);
  fs::rename(path_ + ".new", path_);
  s.signal(SIGUSR2);
  EXPECT_TRUE(s.wait_for_log("upgrade refused", 5000));
  EXPECT_EQ(build_version(), before);
  EXPECT_TRUE(ok(s.request("STATUS", R"({"jobname":"steady"})")));
  EXPECT_EQ(s.listener_pid(), listener) << "the workers were stopped for nothing";
  EXPECT_EQ(s.supervisor_pid(), supervisor);
  EXPECT_TRUE(process_alive(pid));
}

// Under systemd the new binary speaks for the same service: it says READY=1
// on the socket the old one was given.
TEST_F(UpgradeTest, UnderSystemdTheNewBinaryTellsItIsReadyOnTheSameSocket) {
  NotifySocket notify(dir_.path + "/notify");
  ASSERT_TRUE(notify.ok());
  auto next = [&](int timeout_ms) { return notify.next(timeout_ms); };
  setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
  auto started = s.start();
  unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(started);
  EXPECT_EQ(next(5000).rfind("READY=1", 0), 0u);
  put_binary(BACKEND_SERVER_NEXT_BIN);
  s.signal(SIGUSR2);
  EXPECT_EQ(next(15000).rfind("READY=1", 0), 0u) << "the new binary said nothing";
  EXPECT_EQ(build_version(), BACKEND_NEXT_VERSION);
}

}  // namespace
}  // namespace itest
