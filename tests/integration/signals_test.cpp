// SIGHUP (reload), SIGTERM/SIGINT (stop) and --check-config.
#include <sys/wait.h>

#include <csignal>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Sends STATUSALL until the log shows it as a debug line.
bool statusall_logged_as_debug(Server& s, int timeout_ms) {
  return wait_until(
      [&] {
        auto r = s.request("STATUSALL");
        return r && r->ok() && s.log_text().find("debug: STATUSALL") != std::string::npos;
      },
      timeout_ms, 50);
}

TEST(Signals, HupAppliesLogLevelAndLogQueries) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("STATUSALL")));
  EXPECT_EQ(s.log_text().find("debug: STATUSALL"), std::string::npos) << "queries are not logged by default";

  s.set("log_level", "\"debug\"");
  s.set("log_queries", "true");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("config reloaded")) << s.log_text();
  EXPECT_TRUE(statusall_logged_as_debug(s, 3000)) << "after SIGHUP with log_level debug and log_queries true, "
                                                     "STATUSALL is not in the log:\n"
                                                  << s.log_text();
  EXPECT_EQ(s.log_text().find("reload refused"), std::string::npos);

  // And back: queries are no longer logged after the next reload.
  s.set("log_queries", "false");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return count(s.log_text(), "config reloaded") == 2; }, 3000)) << s.log_text();
  // The listener applies the reload when it gets its own SIGHUP: give it a
  // round trip that a query after that would be logged in.
  ASSERT_TRUE(wait_until(
      [&] {
        int before = count(s.log_text(), "debug: STATUSALL");
        auto r = s.request("STATUSALL");
        return r && r->ok() && count(s.log_text(), "debug: STATUSALL") == before;
      },
      3000, 50))
      << "queries are still logged after log_queries was turned off";
}

TEST(Signals, HupMovesTheListenerToANewPort) {
  Server s;
  ASSERT_TRUE(s.start());
  pid_t master = s.master_pid();
  pid_t old_listener = s.listener_pid();
  ASSERT_NE(old_listener, 0);
  uint16_t old_port = s.port;
  uint16_t new_port = pick_free_port();
  ASSERT_NE(new_port, old_port);

  s.set("listen", "\"127.0.0.1:" + std::to_string(new_port) + "\"");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_ready(3000, new_port)) << s.log_text();
  EXPECT_TRUE(wait_until([&] { return !port_accepts(old_port, 200); }, 3000))
      << "the old port " << old_port << " still accepts connections";
  EXPECT_EQ(s.master_pid(), master);
  EXPECT_TRUE(s.master_alive());
  EXPECT_NE(s.listener_pid(), old_listener) << "the listener was not restarted on the new socket";
  EXPECT_NE(s.log_text().find("now listening on 127.0.0.1:" + std::to_string(new_port)), std::string::npos)
      << s.log_text();
  s.port = new_port;
  int status = -1;
  ASSERT_TRUE(s.stop(5000, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

// A reload that changes the plugin list changes nothing until the next
// start, and neither do the workers the master starts again after it:
// those must run the config their sibling runs, or a worker's crash would
// turn authentication off or take plugin commands away.
TEST(Signals, HupKeepsThePluginListForWorkersStartedAgain) {
  Server s;
  s.set("autoload_plugins", "\"*\"");
  ASSERT_TRUE(s.start());
  // One command of each plugin that has commands, with the params it needs.
  const std::vector<std::pair<std::string, std::string>> commands{
      {"AUTH.GETENABLE", "{}"},
      {"SCHEDULER.GETALL", "{}"},
      {"LOGEXPLORER.SERVERLISTDIR", "{}"},
  };
  auto every_plugin_answers = [&](const char* when) {
    for (const auto& [command, params] : commands) {
      auto r = s.request(command, params);
      EXPECT_TRUE(r && r->code() != "UNKNOWN") << command << " " << when << ": " << (r ? r->raw : "no reply");
    }
  };
  every_plugin_answers("before the reload");

  s.set("autoload_plugins", "\"autostart,guarder\"");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("config reloaded")) << s.log_text();
  EXPECT_NE(s.log_text().find("autoload_plugins change only at the next start"), std::string::npos) << s.log_text();
  every_plugin_answers("after the reload");

  pid_t listener = s.listener_pid(), supervisor = s.supervisor_pid();
  ASSERT_GT(listener, 0);
  ASSERT_GT(supervisor, 0);
  ASSERT_EQ(kill(listener, SIGKILL), 0);
  ASSERT_EQ(kill(supervisor, SIGKILL), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        pid_t l = s.listener_pid(), v = s.supervisor_pid();
        return l > 0 && l != listener && v > 0 && v != supervisor;
      },
      5000))
      << "the workers were not started again";
  ASSERT_TRUE(s.wait_ready());
  every_plugin_answers("after both workers were killed and started again");
}

TEST(Signals, HupAppliesConnectionLimits) {
  Server s;
  s.set("max_frame_bytes", "2048");
  ASSERT_TRUE(s.start());
  std::string big = "STATUSALL {\"pad\":\"" + std::string(3000, 'a') + "\"}";
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  auto r = c.request(big);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->code(), "FAILED") << "the start config's max_frame_bytes is not applied";

  s.set("max_frame_bytes", "100000");
  s.set("idle_timeout", "1");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("config reloaded")) << s.log_text();
  // The listener takes the new values with its own SIGHUP, a moment later.
  EXPECT_TRUE(wait_until([&] { return ok(s.request(big, {}, 1000)); }, 3000))
      << "a 3000-byte request is still refused after max_frame_bytes was raised to 100000";
  WireClient idle;
  ASSERT_TRUE(idle.connect(s.port));
  int64_t t0 = now_ms();
  EXPECT_TRUE(idle.wait_closed(3000)) << "idle_timeout 1 not applied after SIGHUP";
  EXPECT_GE(now_ms() - t0, 900);
}

TEST(Signals, HupWithInvalidJsonIsRefused) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"kept","command":"/bin/true"})")));
  write_file(s.config_path, "{ \"listen\": \"127.0.0.1:1\", \"log_level\": ");
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("reload refused")) << s.log_text();
  EXPECT_NE(s.log_text().find("not valid JSON"), std::string::npos) << s.log_text();
  EXPECT_TRUE(s.master_alive());
  auto r = s.request("GET", R"({"jobname":"kept"})");
  ASSERT_TRUE(r) << "the server stopped answering after a refused reload";
  EXPECT_TRUE(r->ok()) << r->raw;

  // A good config afterwards is applied: the refusal left nothing wedged.
  s.set("log_level", "\"debug\"");
  s.set("log_queries", "true");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("config reloaded")) << s.log_text();
  EXPECT_TRUE(statusall_logged_as_debug(s, 3000)) << s.log_text();
}

TEST(Signals, HupWithUnknownKeyIsRefusedAndKeepsTheOldSettings) {
  Server s;
  ASSERT_TRUE(s.start());
  pid_t listener = s.listener_pid();
  uint16_t new_port = pick_free_port();
  // Every change here would be visible; none may be applied.
  std::string good = s.config_json();
  s.set("listen", "\"127.0.0.1:" + std::to_string(new_port) + "\"");
  s.set("log_level", "\"debug\"");
  s.set("log_queries", "true");
  s.set("no_such_key", "1");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("reload refused")) << s.log_text();
  EXPECT_NE(s.log_text().find("unknown key \"no_such_key\""), std::string::npos) << s.log_text();
  EXPECT_EQ(s.log_text().find("config reloaded"), std::string::npos) << s.log_text();

  ASSERT_TRUE(s.wait_ready(2000)) << "the old port no longer answers";
  EXPECT_FALSE(port_accepts(new_port)) << "the refused config's port was opened";
  EXPECT_EQ(s.listener_pid(), listener) << "the listener was restarted by a refused reload";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ok(s.request("STATUSALL")));
  EXPECT_EQ(s.log_text().find("debug: STATUSALL"), std::string::npos)
      << "the refused config's log_level/log_queries were applied:\n"
      << s.log_text();
  write_file(s.config_path, good);
}

TEST(Signals, HupWithABusyPortIsRefused) {
  Server s, other;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(other.start());
  s.set("listen", "\"127.0.0.1:" + std::to_string(other.port) + "\"");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("reload refused")) << s.log_text();
  EXPECT_TRUE(s.wait_ready(2000)) << "the server left its old port";
  EXPECT_TRUE(other.wait_ready(2000));
}

TEST(Signals, Usr1ReopensLogFiles) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"before","command":"/bin/true"})")));
  // logrotate: move the files away, then SIGUSR1.
  std::string rotated = s.dir + "/rotated";
  ASSERT_EQ(rename((s.data_dir + "/log/server").c_str(), rotated.c_str()), 0);
  s.signal(SIGUSR1);
  ASSERT_TRUE(s.wait_for_log("log files reopened")) << "the master did not reopen its log file";
  // The listener logs forwarded commands: it must write to the new file too.
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = s.request("ADD", R"({"jobname":"after)" + std::to_string(now_ms()) + R"(","command":"/bin/true"})");
        return r && r->ok() && s.log_text().find("ADD {\"jobname\":\"after") != std::string::npos;
      },
      3000, 50))
      << "the workers still write to the rotated file:\n"
      << s.log_text();
}

void expect_clean_stop(int signo) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"j1","command":"/bin/true"})")));
  pid_t master = s.master_pid();
  std::vector<pid_t> workers = children_of(master);
  ASSERT_EQ(workers.size(), 2u);
  ASSERT_EQ(read_pidfile(s.pidfile), master);
  ASSERT_TRUE(shm_exists(s.shm_name));

  int64_t t0 = now_ms();
  kill(master, signo);
  ASSERT_TRUE(wait_until([&] { return !s.master_alive(); }, 5000)) << "master still running 5 s after the signal";
  int64_t took = now_ms() - t0;
  ASSERT_TRUE(s.exit_status());
  int status = *s.exit_status();
  EXPECT_TRUE(WIFEXITED(status)) << "master killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(took, 3000);
  EXPECT_FALSE(file_exists(s.pidfile)) << "pidfile left behind";
  EXPECT_FALSE(shm_exists(s.shm_name)) << "/dev/shm/" << s.shm_name << " left behind";
  for (pid_t w : workers) EXPECT_FALSE(process_alive(w)) << "worker " << w << " outlived the master";
  EXPECT_FALSE(port_accepts(s.port));
  std::string log = s.log_text();
  EXPECT_NE(log.find("backend-server stopped"), std::string::npos) << log;
  // Each worker ended its loop and exited 0: no crash on the way out.
  auto exited_cleanly = [&](const std::string& worker) {
    for (pid_t w : workers)
      if (log.find(worker + " (pid " + std::to_string(w) + ") exited with code 0") != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(exited_cleanly("listener")) << log;
  EXPECT_TRUE(exited_cleanly("supervisor")) << log;
  EXPECT_EQ(log.find("killed by signal"), std::string::npos) << log;
  // The settings are on disk for the next start.
  auto jobs = read_file(s.jobs_file);
  ASSERT_TRUE(jobs);
  EXPECT_NE(jobs->find("\"j1\""), std::string::npos) << *jobs;
}

TEST(Signals, TermStopsCleanly) { expect_clean_stop(SIGTERM); }

TEST(Signals, IntStopsCleanly) { expect_clean_stop(SIGINT); }

TEST(Signals, CheckConfig) {
  Server s;
  s.write_config();
  CommandResult good = run_command({server_bin(), "-c", s.config_path, "--check-config"});
  EXPECT_EQ(good.exit_code(), 0) << good.describe();
  EXPECT_NE(good.out.find("OK"), std::string::npos) << good.describe();
  // Checking starts nothing.
  EXPECT_FALSE(file_exists(s.pidfile));
  EXPECT_FALSE(shm_exists(s.shm_name));
  EXPECT_FALSE(port_accepts(s.port));

  CommandResult shipped =
      run_command({server_bin(), "-c", std::string(BACKEND_SOURCE_DIR) + "/conf/backend-server.conf", "--check-config"});
  EXPECT_EQ(shipped.exit_code(), 0) << "the shipped config must pass: " << shipped.describe();

  s.set("no_such_key", "true");
  s.write_config();
  CommandResult unknown = run_command({server_bin(), "-c", s.config_path, "--check-config"});
  EXPECT_NE(unknown.exit_code(), 0) << unknown.describe();
  EXPECT_FALSE(unknown.timed_out);
  EXPECT_NE(unknown.err.find("no_such_key"), std::string::npos) << unknown.describe();

  write_file(s.config_path, "{\"listen\": \"127.0.0.1:1\",, ");
  CommandResult broken = run_command({server_bin(), "-c", s.config_path, "--check-config"});
  EXPECT_NE(broken.exit_code(), 0) << broken.describe();
  EXPECT_NE(broken.err.find(s.config_path), std::string::npos) << "the error should name the file: " << broken.describe();

  s.unset("no_such_key");
  s.set("idle_timeout", "\"sixty\"");
  s.write_config();
  CommandResult wrong_type = run_command({server_bin(), "-c", s.config_path, "--check-config"});
  EXPECT_NE(wrong_type.exit_code(), 0) << wrong_type.describe();
  EXPECT_NE(wrong_type.err.find("idle_timeout"), std::string::npos) << wrong_type.describe();

  CommandResult missing = run_command({server_bin(), "-c", s.dir + "/nope.conf", "--check-config"});
  EXPECT_NE(missing.exit_code(), 0) << missing.describe();
  EXPECT_FALSE(file_exists(s.pidfile));
}

}  // namespace
}  // namespace itest
