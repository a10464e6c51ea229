#include "tests/support/server_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace itest {

// ---- processes and files ---------------------------------------------------

bool CommandResult::exited() const { return !timed_out && wait_status >= 0 && WIFEXITED(wait_status); }

int CommandResult::exit_code() const { return exited() ? WEXITSTATUS(wait_status) : -1; }

std::string CommandResult::describe() const {
  std::ostringstream s;
  if (timed_out)
    s << "timed out";
  else if (WIFEXITED(wait_status))
    s << "exit " << WEXITSTATUS(wait_status);
  else if (WIFSIGNALED(wait_status))
    s << "signal " << WTERMSIG(wait_status);
  s << " after " << elapsed_ms << " ms; stdout: [" << out << "] stderr: [" << err << "]";
  return s.str();
}

namespace {

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv_in, int timeout_ms,
                          const std::function<void()>& at_exit) {
  CommandResult r;
  std::vector<std::string> args = argv_in;
  std::vector<char*> argv = c_argv(args);
  // Output goes to files, not pipes: the command counts as done when it
  // exits, as an init system sees it, even if a daemon it forked still
  // holds the descriptors for a moment.
  char out_path[] = "/tmp/itest-out-XXXXXX";
  char err_path[] = "/tmp/itest-err-XXXXXX";
  int out = mkostemp(out_path, O_CLOEXEC);
  int err = mkostemp(err_path, O_CLOEXEC);
  if (out < 0 || err < 0) {
    ADD_FAILURE() << "mkostemp: " << std::strerror(errno);
    return r;
  }
  int64_t t0 = now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the tests have threads.
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  r.pid = pid;
  int64_t deadline = t0 + timeout_ms;
  // A pidfd wakes us the moment it exits (at_exit sees what an init system
  // would see); without one, poll its exit every millisecond.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  for (;;) {
    pid_t w = waitpid(pid, &r.wait_status, WNOHANG);
    if (w == pid) {
      if (at_exit) at_exit();
      break;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      waitpid(pid, &r.wait_status, 0);
      break;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left));
    } else {
      usleep(1000);
    }
  }
  if (pidfd >= 0) close(pidfd);
  r.elapsed_ms = now_ms() - t0;
  close(out);
  close(err);
  r.out = read_file(out_path).value_or("");
  r.err = read_file(err_path).value_or("");
  unlink(out_path);
  unlink(err_path);
  return r;
}

std::string unique_shm_name() {
  static std::atomic<int> counter{0};
  return "itest-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

bool shm_exists(const std::string& name) { return file_exists("/dev/shm/" + name); }

void shm_remove(const std::string& name) {
  if (!name.empty() && name.find('/') == std::string::npos) unlink(("/dev/shm/" + name).c_str());
}

uint16_t pick_free_port() {
  static std::mt19937 rng(static_cast<unsigned>(getpid()) * 2654435761u ^ static_cast<unsigned>(now_ms()));
  std::uniform_int_distribution<int> dist(10000, 31999);
  for (int attempt = 0; attempt < 200; ++attempt) {
    uint16_t port = static_cast<uint16_t>(dist(rng));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return port;
  }
  ADD_FAILURE() << "no free port found";
  return 0;
}

bool port_accepts(uint16_t port, int timeout_ms) {
  WireClient c;
  return c.connect(port, timeout_ms);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

namespace {

// The fields of /proc/PID/stat after the command name: state, ppid, ...
std::optional<std::string> stat_tail(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto close_paren = text->rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= text->size()) return std::nullopt;
  return text->substr(close_paren + 2);
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* d = opendir("/proc");
  if (!d) return pids;
  while (dirent* e = readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return pids;
}

std::string cmdline_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text) return {};
  std::replace(text->begin(), text->end(), '\0', ' ');
  return *text;
}

}  // namespace

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  auto tail = stat_tail(pid);
  if (!tail || tail->empty()) return false;
  char state = (*tail)[0];
  return state != 'Z' && state != 'X' && state != 'x';
}

bool process_stopped(pid_t pid) {
  auto tail = stat_tail(pid);
  return tail && !tail->empty() && (*tail)[0] == 'T';
}

pid_t parent_of(pid_t pid) {
  auto tail = stat_tail(pid);
  if (!tail) return 0;
  std::istringstream s(*tail);
  std::string state;
  pid_t ppid = 0;
  s >> state >> ppid;
  return ppid;
}

std::string comm_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!text) return {};
  while (!text->empty() && text->back() == '\n') text->pop_back();
  return *text;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  if (parent <= 0) return out;
  for (pid_t pid : all_pids())
    if (parent_of(pid) == parent && process_alive(pid)) out.push_back(pid);
  return out;
}

std::vector<pid_t> descendants_of(pid_t root) {
  std::vector<pid_t> out;
  if (root <= 0) return out;
  std::vector<pid_t> pids = all_pids();
  std::map<pid_t, pid_t> parent;
  for (pid_t p : pids) parent[p] = parent_of(p);
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t p = frontier.back();
    frontier.pop_back();
    for (auto [child, pp] : parent)
      if (pp == p && std::find(out.begin(), out.end(), child) == out.end()) {
        out.push_back(child);
        frontier.push_back(child);
      }
  }
  return out;
}

pid_t child_named(pid_t parent, const std::string& comm) {
  for (pid_t pid : children_of(parent))
    if (comm_of(pid) == comm) return pid;
  return 0;
}

pid_t read_pidfile(const std::string& path) {
  auto text = read_file(path);
  if (!text) return 0;
  char* end = nullptr;
  long pid = std::strtol(text->c_str(), &end, 10);
  if (end == text->c_str() || pid <= 0) return 0;
  while (*end == '\n' || *end == ' ') ++end;
  return *end == '\0' ? static_cast<pid_t>(pid) : 0;
}

bool wait_until(const std::function<bool()>& pred, int timeout_ms, int step_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    if (pred()) return true;
    if (now_ms() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  }
}

std::optional<rapidjson::Document> parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError()) return std::nullopt;
  return d;
}

// ---- one server ---------------------------------------------------------------

Server::Server() {
  dir = temp_.path;
  data_dir = dir + "/data";
  config_path = dir + "/server.conf";
  pidfile = data_dir + "/backend-server.pid";
  jobs_file = data_dir + "/jobs.json";
  shm_name = unique_shm_name();
  pick_ports();
  set("data_dir", "\"" + data_dir + "\"");
  set("shm_name", "\"" + shm_name + "\"");
  set("log_level", "\"info\"");
}

void Server::pick_ports() {
  port = pick_free_port();
  do http_port = pick_free_port();
  while (http_port == port);
  set("listen", "\"127.0.0.1:" + std::to_string(port) + "\"");
  set("http_listen", "\"127.0.0.1:" + std::to_string(http_port) + "\"");
}

Server::~Server() {
  if (master_alive()) {
    signal(SIGTERM);
    wait_until([&] { return !master_alive(); }, 3000);
  }
  kill_all();
  // A failed request often means a worker died: its sanitizer report or last
  // words are in the server's stderr, which goes with the folder otherwise.
  if (::testing::Test::HasFailure()) print_stderr_tails();
  shm_remove(shm_name);
}

void Server::print_stderr_tails() const {
  constexpr size_t kTail = 4096;
  for (int n = 1; n <= starts_; ++n) {
    std::string path = dir + "/server-" + std::to_string(n) + ".stderr";
    std::string text = read_file(path).value_or("");
    if (text.empty()) continue;
    if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
    std::cerr << "---- end of " << path << " ----\n" << text << "\n";
  }
}

void Server::set(const std::string& key, const std::string& json_value) { config_[key] = json_value; }

void Server::unset(const std::string& key) { config_.erase(key); }

std::string Server::config_json() const {
  std::string out = "{\n";
  bool first = true;
  for (const auto& [k, v] : config_) {
    out += first ? "  " : ",\n  ";
    out += "\"" + k + "\": " + v;
    first = false;
  }
  return out + "\n}\n";
}

void Server::write_config() { write_file(config_path, config_json()); }

std::vector<std::string> Server::argv_for(const std::vector<std::string>& extra) const {
  std::vector<std::string> args{binary, "-c", config_path};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

bool Server::reap_child(bool block) {
  if (!child_ || exit_status_) return exit_status_.has_value();
  int status = 0;
  pid_t w = waitpid(child_, &status, block ? 0 : WNOHANG);
  if (w == child_) exit_status_ = status;
  return exit_status_.has_value();
}

bool Server::master_alive() const {
  if (child_) {
    if (exit_status_) return false;
    const_cast<Server*>(this)->reap_child(false);
    return !exit_status_;
  }
  return daemon_pid_ > 0 && process_alive(daemon_pid_);
}

void Server::signal(int signo) const {
  if (master_alive()) kill(master_pid(), signo);
}

testing::AssertionResult Server::start(const std::vector<std::string>& extra_args, int ready_ms) {
  if (master_alive()) return testing::AssertionFailure() << "server already running";
  for (int attempt = 0; attempt < 5; ++attempt) {
    write_config();
    stderr_path_ = dir + "/server-" + std::to_string(++starts_) + ".stderr";
    std::vector<std::string> args = argv_for(extra_args);
    std::vector<char*> argv = c_argv(args);
    std::string err_path = stderr_path_;
    child_ = 0;
    exit_status_.reset();
    pid_t pid = fork();
    if (pid < 0) return testing::AssertionFailure() << "fork: " << std::strerror(errno);
    if (pid == 0) {
      setpgid(0, 0);  // its own group: the teardown can kill it whole
      int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0) dup2(null, 0);
      int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (err >= 0) {
        dup2(err, 1);
        dup2(err, 2);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    child_ = pid;
    auto ready = wait_ready(ready_ms);
    // The listener is forked only after the port was bound: with it, the
    // answer came from our server, not from another test's on a port that
    // both picked at once.
    if (ready && wait_until([&] { return listener_pid() != 0 || !master_alive(); }, 2000) && master_alive())
      return ready;
    if (master_alive()) {
      if (ready) return testing::AssertionFailure() << "the server answers but has no listener process";
      return ready;
    }
    // It exited: a port taken since we picked it is worth another try.
    std::string err = stderr_text();
    if (err.find("cannot listen") == std::string::npos)
      return testing::AssertionFailure() << "the server exited (status " << exit_status_.value_or(-1)
                                         << ") before it was ready; stderr: " << err;
    pick_ports();
  }
  return testing::AssertionFailure() << "server did not start after 5 tries; stderr: " << stderr_text();
}

testing::AssertionResult Server::start_daemon(CommandResult* result, const std::vector<std::string>& extra_args) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    write_config();
    std::vector<std::string> args = argv_for(extra_args);
    args.push_back("--daemon");
    child_ = 0;
    exit_status_.reset();
    CommandResult r = run_command(args, 10000, [&] { pidfile_at_exit_ = read_pidfile(pidfile); });
    if (result) *result = r;
    if (r.exit_code() != 0) {
      if (r.err.find("cannot listen") != std::string::npos) {
        pick_ports();
        continue;
      }
      return testing::AssertionFailure() << "--daemon failed: " << r.describe();
    }
    if (!wait_until([&] { return read_pidfile(pidfile) > 0; }, 3000))
      return testing::AssertionFailure() << "no pid in " << pidfile << " after --daemon";
    daemon_pid_ = read_pidfile(pidfile);
    auto ready = wait_ready();
    if (ready && !wait_until([&] { return listener_pid() != 0; }, 2000))
      return testing::AssertionFailure() << "the daemon " << daemon_pid_ << " answers but has no listener process";
    return ready;
  }
  return testing::AssertionFailure() << "daemon did not start after 5 tries";
}

testing::AssertionResult Server::wait_ready(int timeout_ms, uint16_t on_port) {
  uint16_t p = on_port ? on_port : port;
  int64_t deadline = now_ms() + timeout_ms;
  std::string last = "no attempt";
  for (;;) {
    if (child_ && !master_alive())
      return testing::AssertionFailure() << "server exited before it was ready (status " << *exit_status_
                                         << ")";
    WireClient c;
    std::string err;
    if (c.connect(p, 300, &err)) {
      WireClient::Status st;
      auto r = c.request("STATUSALL", {}, 500, &st);
      if (r && r->ok()) return testing::AssertionSuccess();
      last = r ? "reply " + r->raw : "no reply, status " + std::to_string(static_cast<int>(st));
    } else {
      last = err;
    }
    if (now_ms() >= deadline)
      return testing::AssertionFailure() << "server on port " << p << " not ready within " << timeout_ms
                                         << " ms (last: " << last << ")";
    usleep(20 * 1000);
  }
}

testing::AssertionResult Server::stop(int timeout_ms, int* wait_status) {
  pid_t pid = master_pid();
  if (!master_alive()) return testing::AssertionFailure() << "server " << pid << " is not running";
  kill(pid, SIGTERM);
  if (!wait_until([&] { return !master_alive(); }, timeout_ms))
    return testing::AssertionFailure() << "master " << pid << " still running " << timeout_ms
                                       << " ms after SIGTERM";
  if (wait_status && exit_status_) *wait_status = *exit_status_;
  return testing::AssertionSuccess();
}

void Server::kill_all() {
  // Everything whose command line names our temp folder is ours: the master,
  // its workers (forked, same command line) and orphans of either.
  auto ours = [&] {
    std::vector<pid_t> pids;
    if (master_alive()) {
      pids.push_back(master_pid());
      for (pid_t p : descendants_of(master_pid())) pids.push_back(p);
    }
    for (pid_t p : all_pids())
      if (p != getpid() && process_alive(p) && cmdline_of(p).find(dir) != std::string::npos) pids.push_back(p);
    return pids;
  };
  for (int round = 0; round < 50; ++round) {
    auto pids = ours();
    if (child_ && !exit_status_) kill(-child_, SIGKILL);
    for (pid_t p : pids) kill(p, SIGKILL);
    if (child_) reap_child(true);
    if (pids.empty()) break;
    usleep(20 * 1000);
  }
}

testing::AssertionResult Server::wait_for_job(const std::string& job, int timeout_ms) const {
  std::string last;
  bool seen = wait_until(
      [&] {
        auto r = request("GET", "{\"jobname\":\"" + job + "\"}", 1000);
        last = r ? r->raw : "no reply";
        return r && r->ok();
      },
      timeout_ms, 10);
  if (seen) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "job " << job << " not served within " << timeout_ms << " ms (last: " << last
                                     << ")";
}

std::string Server::log_text() const {
  std::vector<std::string> files;
  std::error_code ec;
  std::string root = data_dir + "/log/server";
  if (!fs::exists(root, ec)) return {};
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && it->path().extension() == ".log") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  std::string out;
  for (const auto& f : files) out += read_file(f).value_or("");
  return out;
}

bool Server::wait_for_log(const std::string& needle, int timeout_ms) const {
  return wait_until([&] { return log_text().find(needle) != std::string::npos; }, timeout_ms, 20);
}

std::string Server::stderr_text() const { return read_file(stderr_path_).value_or(""); }

void kill_whole_server(Server& s) {
  std::vector<pid_t> server{s.master_pid(), s.listener_pid(), s.supervisor_pid()};
  for (pid_t p : server) ASSERT_GT(p, 0);
  for (pid_t p : server) kill(p, SIGSTOP);
  // A stop is only asked for by kill(): on a busy machine a worker may
  // still run when its master's SIGKILL lands.
  for (pid_t p : server) ASSERT_TRUE(wait_until([&] { return process_stopped(p); }, 3000)) << p << " did not stop";
  // The workers die first: were the master, leader of their process group,
  // to die while they are stopped, the kernel would wake the orphaned group
  // with SIGHUP and SIGCONT, and the supervisor would run on to see its
  // master's death: the other case, tested on its own.
  for (pid_t p : {server[1], server[2]}) kill(p, SIGKILL);
  for (pid_t p : {server[1], server[2]}) ASSERT_TRUE(wait_until([&] { return !process_alive(p); }, 3000)) << p;
  kill(server[0], SIGKILL);
  ASSERT_TRUE(wait_until([&] { return !s.master_alive(); }, 3000));
}

}  // namespace itest
