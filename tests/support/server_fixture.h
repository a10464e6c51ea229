// Starts and stops real backend-server processes for the integration tests.
//
// Every Server has its own temp folder (a TempDir: config file, data dir,
// captured stderr), its own free port and its own shared memory
// name ("itest-<pid>-<counter>"), so that tests run in parallel without
// colliding. Its destructor always cleans up: SIGTERM, then SIGKILL of the
// whole process tree, then /dev/shm/NAME and the temp folder are removed.
// Every wait is a bounded poll.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/wire_client.h"

#ifndef BACKEND_SERVER_BIN
#error "BACKEND_SERVER_BIN must be defined by the build"
#endif

namespace itest {

inline const char* server_bin() { return BACKEND_SERVER_BIN; }
inline const char* shm_bin() { return BACKEND_SHM_BIN; }

// ---- processes and files ---------------------------------------------------

struct CommandResult {
  pid_t pid = 0;
  int wait_status = -1;  // as from waitpid
  bool timed_out = false;
  std::string out, err;
  int64_t elapsed_ms = 0;
  bool exited() const;
  int exit_code() const;  // -1 unless it exited
  std::string describe() const;
};

// Runs argv[0] (a path) with stdout and stderr captured, stdin /dev/null.
// Killed (SIGKILL) when it has not finished within timeout_ms. `at_exit`
// runs the moment its exit is seen.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_ms = 10000,
                          const std::function<void()>& at_exit = {});

std::string unique_shm_name();
bool shm_exists(const std::string& name);
void shm_remove(const std::string& name);

// A random port in [10000, 32000) (below the ephemeral range, so client
// sockets of parallel tests never take it) that can be bound right now.
uint16_t pick_free_port();
// True when a TCP connection to 127.0.0.1:port is accepted within timeout_ms.
bool port_accepts(uint16_t port, int timeout_ms = 300);

bool file_exists(const std::string& path);
std::optional<std::string> read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

// From /proc. A zombie counts as dead.
bool process_alive(pid_t pid);
// Stopped by a signal (state T).
bool process_stopped(pid_t pid);
pid_t parent_of(pid_t pid);
std::string comm_of(pid_t pid);
std::vector<pid_t> children_of(pid_t pid);
std::vector<pid_t> descendants_of(pid_t pid);
// The live child of `parent` whose comm is `comm`; 0 when there is none.
pid_t child_named(pid_t parent, const std::string& comm);
// Parses the pid in a pidfile; 0 when missing, empty or garbage.
pid_t read_pidfile(const std::string& path);

// Polls pred every step_ms until it holds or timeout_ms passed.
bool wait_until(const std::function<bool()>& pred, int timeout_ms, int step_ms = 10);

// Parses a JSON text; nullopt when it is not valid JSON.
std::optional<rapidjson::Document> parse_json(const std::string& text);

// ---- one server ---------------------------------------------------------------

class Server {
 public:
  Server();
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Config keys with raw JSON values ("\"debug\"", "true", "2048").
  // Defaults: listen, data_dir, shm_name, log_level "info".
  void set(const std::string& key, const std::string& json_value);
  void unset(const std::string& key);
  std::string config_json() const;
  void write_config();  // to config_path

  // Foreground (our child, its stderr to a file), then waits until it
  // answers STATUSALL. When the port was taken meanwhile, picks another
  // one and tries again.
  testing::AssertionResult start(const std::vector<std::string>& extra_args = {}, int ready_ms = 5000);
  // With --daemon: the command must exit 0; then the pidfile is read and
  // readiness awaited. `result` receives the --daemon command's outcome.
  testing::AssertionResult start_daemon(CommandResult* result = nullptr,
                                        const std::vector<std::string>& extra_args = {});
  // Polls connect + STATUSALL until OK.
  testing::AssertionResult wait_ready(int timeout_ms = 5000, uint16_t port = 0);
  // SIGTERM to the master, then waits for it to be gone. For a foreground
  // server `wait_status` receives its status.
  testing::AssertionResult stop(int timeout_ms = 5000, int* wait_status = nullptr);
  // Sends a signal to the master.
  void signal(int signo) const;
  // SIGKILL of the master and everything below it; reaps our child.
  void kill_all();

  pid_t master_pid() const { return child_ ? child_ : daemon_pid_; }
  bool master_alive() const;
  pid_t listener_pid() const { return child_named(master_pid(), "backend-listen"); }
  pid_t supervisor_pid() const { return child_named(master_pid(), "backend-superv"); }
  // What the pidfile held the moment the --daemon command returned.
  pid_t pidfile_at_exit() const { return pidfile_at_exit_; }
  // For a foreground server that exited: its wait status, when reaped.
  std::optional<int> exit_status() const { return exit_status_; }

  // Polls GET until `job` is served. After a start the saved jobs appear
  // only once the supervisor has loaded them (see
  // Crash.FirstAnswersAfterAStartAlreadyKnowTheSavedJobs); tests about
  // something else wait for that instead of racing it.
  testing::AssertionResult wait_for_job(const std::string& job, int timeout_ms = 3000) const;

  // Every server log file (DATA_DIR/log/server/**.log), oldest first.
  std::string log_text() const;
  // Polls log_text() until it contains `needle`.
  bool wait_for_log(const std::string& needle, int timeout_ms = 3000) const;
  std::string stderr_text() const;
  // The end of every stderr file of this server's starts (on test failure).
  void print_stderr_tails() const;

  std::optional<Reply> request(std::string_view command, std::string_view params_json = {},
                               int timeout_ms = 5000) const {
    return query(port, command, params_json, timeout_ms);
  }

  std::string dir;          // temp_.path, removed at the end
  std::string data_dir;     // dir/data
  std::string config_path;  // dir/server.conf
  std::string binary = server_bin();  // the program started (a copy, for an upgrade in place)
  std::string pidfile;      // data_dir/backend-server.pid
  std::string jobs_file;    // data_dir/jobs.json
  std::string shm_name;
  uint16_t port = 0;
  uint16_t http_port = 0;  // the HTTP face's (http_listen), picked like port

 private:
  // Free ports for listen and http_listen, set in the config.
  void pick_ports();
  bool reap_child(bool block);
  std::vector<std::string> argv_for(const std::vector<std::string>& extra) const;

  // Removed after the destructor has killed everything that ran in it.
  backend::testing::TempDir temp_{"itest"};
  std::map<std::string, std::string> config_;
  pid_t child_ = 0;       // a foreground master: our child
  pid_t daemon_pid_ = 0;  // a daemon master: from the pidfile
  std::optional<int> exit_status_;
  std::string stderr_path_;
  int starts_ = 0;
  pid_t pidfile_at_exit_ = 0;
};

// SIGKILL of the master, the listener and the supervisor at once, as the
// OOM killer or `kill -9 -1` would: the whole server dies and its jobs live
// on. They are stopped first, so that no worker sees its master die before
// it dies itself: that is the master's death alone, tested on its own.
void kill_whole_server(Server& s);

}  // namespace itest
