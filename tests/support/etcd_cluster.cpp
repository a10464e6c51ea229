#include "tests/support/etcd_cluster.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include <rapidjson/document.h>

#include "plugins/cluster/etcd_codec.h"
#include "tests/support/server_fixture.h"
#include "tests/support/wire_client.h"

extern char** environ;

namespace itest {

namespace fs = std::filesystem;
// The server's own codec: the gateway, not this harness, is the oracle.
using backend::plugins::cluster::etcd::base64_decode;
using backend::plugins::cluster::etcd::base64_encode;

// ---- HTTP/1.1 to etcd's gateway ---------------------------------------------

std::string HttpResult::describe() const {
  std::ostringstream s;
  if (status)
    s << "HTTP " << status << " after " << elapsed_ms << " ms: " << body;
  else
    s << (timed_out ? "timed out" : "failed") << " after " << elapsed_ms << " ms: " << error;
  return s.str();
}

namespace {

// Chunked transfer coding (etcd's gateway uses it for errors, which carry
// trailers): the body when the last chunk is in `data`, else nullopt.
std::optional<std::string> dechunk(std::string_view data) {
  std::string out;
  size_t at = 0;
  for (;;) {
    size_t eol = data.find("\r\n", at);
    if (eol == std::string_view::npos) return std::nullopt;
    size_t size = std::strtoul(std::string(data.substr(at, eol - at)).c_str(), nullptr, 16);
    if (size == 0) return out;  // trailers, if any, are not wanted
    if (data.size() < eol + 2 + size + 2) return std::nullopt;
    out.append(data.substr(eol + 2, size));
    at = eol + 2 + size + 2;
  }
}

// The response when `in` holds all of it; `eof` says the server closed.
std::optional<HttpResult> complete_response(const std::string& in, bool eof) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  HttpReply head;
  if (!parse_http_head(in.substr(0, end), head)) return std::nullopt;
  HttpResult r;
  r.status = head.status;
  std::string_view rest(in);
  rest.remove_prefix(end + 4);
  if (head.header("transfer-encoding").find("chunked") != std::string::npos) {
    auto body = dechunk(rest);
    if (!body) return std::nullopt;
    r.body = std::move(*body);
  } else if (std::string cl = head.header("content-length"); !cl.empty()) {
    size_t length = std::strtoull(cl.c_str(), nullptr, 10);
    if (rest.size() < length) return std::nullopt;
    r.body = std::string(rest.substr(0, length));
  } else {
    if (!eof) return std::nullopt;
    r.body = std::string(rest);
  }
  return r;
}

std::string json_string_field(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return "";
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

HttpResult http_request(uint16_t port, std::string_view method, std::string_view path, std::string_view body,
                        int timeout_ms) {
  const int64_t t0 = now_ms(), deadline = t0 + timeout_ms;
  auto finish = [&](HttpResult r) {
    r.elapsed_ms = now_ms() - t0;
    return r;
  };
  auto fail = [&](std::string why, bool timed_out) {
    HttpResult r;
    r.error = std::move(why);
    r.timed_out = timed_out;
    return finish(std::move(r));
  };
  WireClient c;
  std::string err;
  if (!c.connect(port, timeout_ms, &err)) return fail(err, err.find("timed out") != std::string::npos);
  std::string request =
      std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + std::string(body);
  if (!c.send_raw(request, timeout_ms)) return fail("cannot send the request", now_ms() >= deadline);
  std::string in;
  char buf[16384];
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return fail("no whole response within " + std::to_string(timeout_ms) + " ms", true);
    pollfd p{c.fd(), POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno), false);
    if (rc <= 0) continue;
    ssize_t n = recv(c.fd(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail(std::string("recv: ") + std::strerror(errno), false);
    }
    if (n > 0) in.append(buf, static_cast<size_t>(n));
    if (auto r = complete_response(in, n == 0)) return finish(std::move(*r));
    if (n == 0) return fail("closed after " + std::to_string(in.size()) + " bytes: " + in, false);
  }
}

testing::AssertionResult etcd_put(uint16_t port, std::string_view key, std::string_view value, int timeout_ms) {
  HttpResult r =
      http_request(port, "POST", "/v3/kv/put",
                   R"({"key":")" + base64_encode(key) + R"(","value":")" + base64_encode(value) + R"("})", timeout_ms);
  auto doc = r.ok() ? parse_json(r.body) : std::nullopt;
  if (doc && doc->IsObject() && doc->HasMember("header")) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "put " << key << " through port " << port << ": " << r.describe();
}

std::optional<std::string> etcd_get(uint16_t port, std::string_view key, int timeout_ms, std::string* why) {
  HttpResult r = http_request(port, "POST", "/v3/kv/range", R"({"key":")" + base64_encode(key) + R"("})", timeout_ms);
  auto doc = r.ok() ? parse_json(r.body) : std::nullopt;
  if (!doc || !doc->IsObject() || !doc->HasMember("header")) {
    if (why) *why = r.describe();
    return std::nullopt;
  }
  auto kvs = doc->FindMember("kvs");
  if (kvs == doc->MemberEnd() || !kvs->value.IsArray() || kvs->value.Empty()) {
    if (why) *why = "absent: " + r.body;
    return std::nullopt;
  }
  // The gateway leaves out empty fields: no "value" is the empty value.
  auto value = base64_decode(json_string_field(kvs->value[0], "value"));
  if (!value && why) *why = "bad base64: " + r.body;
  return value;
}

std::optional<EtcdStatus> etcd_status(uint16_t port, int timeout_ms) {
  HttpResult r = http_request(port, "POST", "/v3/maintenance/status", "{}", timeout_ms);
  auto doc = r.ok() ? parse_json(r.body) : std::nullopt;
  if (!doc || !doc->IsObject() || !doc->HasMember("header")) return std::nullopt;
  EtcdStatus s;
  s.cluster_id = json_string_field((*doc)["header"], "cluster_id");
  s.member_id = json_string_field((*doc)["header"], "member_id");
  s.leader = json_string_field(*doc, "leader");
  s.raft_term = std::strtoull(json_string_field(*doc, "raftTerm").c_str(), nullptr, 10);
  if (s.member_id.empty()) return std::nullopt;
  if (s.leader.empty()) s.leader = "0";  // left out when zero
  return s;
}

// ---- the cluster ----------------------------------------------------------------

EtcdCluster::EtcdCluster(int members) {
  if (members < 1) ADD_FAILURE() << "an etcd cluster needs a member";
  for (int i = 0; i < members; ++i) {
    Member m;
    m.name = "m" + std::to_string(i);
    m.data_dir = temp_.path + "/" + m.name + ".etcd";
    m.log_path = temp_.path + "/" + m.name + ".log";
    members_.push_back(m);
  }
  member_ids_.resize(members_.size());
  pick_ports();
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i) kill(i);
  if (::testing::Test::HasFailure()) std::cerr << logs();
}

void EtcdCluster::pick_ports() {
  std::set<uint16_t> taken;
  auto next = [&] {
    uint16_t p;
    do p = pick_free_port();
    while (p != 0 && !taken.insert(p).second);
    return p;
  };
  for (auto& m : members_) {
    m.client_port = next();
    m.peer_port = next();
  }
}

std::string EtcdCluster::client_url(int i) const { return "http://127.0.0.1:" + std::to_string(client_port(i)); }

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(client_url(i));
  return out;
}

std::string EtcdCluster::endpoints_csv() const {
  std::string out;
  for (const auto& e : endpoints()) out += (out.empty() ? "" : ",") + e;
  return out;
}

std::vector<std::string> EtcdCluster::argv_for(int i, bool existing) const {
  const Member& m = members_.at(i);
  auto url = [](uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); };
  std::string initial_cluster;
  for (const auto& o : members_)
    initial_cluster += (initial_cluster.empty() ? "" : ",") + o.name + "=" + url(o.peer_port);
  // The heartbeat and election timeout are etcd's defaults, kept on purpose
  // for a loaded 2-core machine: a heartbeat every 100 ms outlasts a Go
  // scheduling stall of tens of ms, and ten missed heartbeats (1 s) before a
  // follower campaigns keep spurious elections rare when parallel tests
  // starve a member of CPU, while a killed leader is still replaced within
  // 1-2 s (the timeout plus its random part), which keeps the tests short.
  // Shorter timeouts flap under load; longer ones only make tests slower.
  // --pre-vote (the default from etcd 3.5 on): without it a member back from
  // a restart with a shorter log keeps bumping the term with votes it cannot
  // win, each one resetting the election timer of the member that could, so
  // a quorum regained took 1 to 10 s here instead of 1 to 2 s.
  // zap logs to stderr (our log file); the default capnslog may go to journald.
  // clang-format off
  return {"/usr/bin/etcd",
          "--name", m.name,
          "--data-dir", m.data_dir,
          "--listen-client-urls", url(m.client_port),
          "--advertise-client-urls", url(m.client_port),
          "--listen-peer-urls", url(m.peer_port),
          "--initial-advertise-peer-urls", url(m.peer_port),
          "--initial-cluster", initial_cluster,
          "--initial-cluster-state", existing ? "existing" : "new",
          "--initial-cluster-token", token_,
          "--heartbeat-interval", "100",
          "--election-timeout", "1000",
          "--pre-vote",
          "--logger", "zap",
          "--log-outputs", "stderr"};
  // clang-format on
}

testing::AssertionResult EtcdCluster::spawn(int i, bool existing) {
  Member& m = members_.at(i);
  std::vector<std::string> args = argv_for(i, existing);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // ETCD_* variables would override or fight our flags.
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "ETCD_", 5) != 0) envp.push_back(*e);
  envp.push_back(nullptr);

  int log = open(m.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return testing::AssertionFailure() << "open " << m.log_path << ": " << std::strerror(errno);
  std::string banner = "---- " + std::string(existing ? "restart" : "start") + " of " + m.name + " ----\n";
  [[maybe_unused]] ssize_t n = write(log, banner.data(), banner.size());
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec: the tests have threads.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // the test died before prctl
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log);
  if (pid < 0) return testing::AssertionFailure() << "fork: " << std::strerror(errno);
  m.pid = pid;
  return testing::AssertionSuccess();
}

void EtcdCluster::reap(int i, bool block) const {
  Member& m = members_.at(i);
  if (m.pid <= 0) return;
  int status;
  if (waitpid(m.pid, &status, block ? 0 : WNOHANG) == m.pid) m.pid = 0;
}

bool EtcdCluster::running(int i) const {
  reap(i, false);
  return members_.at(i).pid > 0;
}

testing::AssertionResult EtcdCluster::start(int timeout_ms) {
  const std::string base = fs::path(temp_.path).filename().string();
  std::string why;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    if (attempt > 1) {
      for (int i = 0; i < size(); ++i) kill(i);
      for (const auto& m : members_) fs::remove_all(m.data_dir);
      std::fill(member_ids_.begin(), member_ids_.end(), "");
      pick_ports();
    }
    token_ = "itest-" + base + "-" + std::to_string(attempt);
    for (int i = 0; i < size(); ++i)
      if (auto r = spawn(i, false); !r) return r;

    // A member that lost its port to another test exits at once; seen
    // before its health is asked, as the port may answer for that test.
    bool port_race = false;
    auto exited = [&] {
      for (int i = 0; i < size(); ++i)
        if (!running(i)) {
          std::string log = read_file(members_[i].log_path).value_or("");
          size_t this_start = log.rfind("---- start of ");  // the log keeps every attempt's
          port_race =
              log.find("address already in use", this_start == std::string::npos ? 0 : this_start) != std::string::npos;
          why = "member " + std::to_string(i) + " exited";
          return true;
        }
      return false;
    };
    bool up = wait_until([&] { return exited() || wait_healthy(0); }, timeout_ms, 50);
    if (!up)
      return testing::AssertionFailure() << "etcd not healthy within " << timeout_ms
                                         << " ms: " << wait_healthy(0).message() << "\n"
                                         << logs();
    if (!exited()) {
      // One cluster, all ours: a port another test's etcd answered on
      // would show another cluster id (or a member twice).
      std::set<std::string> clusters, ids;
      for (int i = 0; i < size(); ++i)
        if (auto st = status(i)) {
          clusters.insert(st->cluster_id);
          ids.insert(st->member_id);
        }
      if (clusters.size() == 1 && static_cast<int>(ids.size()) == size() && !exited())
        return testing::AssertionSuccess();
      why = "the members answer for " + std::to_string(clusters.size()) + " clusters, " + std::to_string(ids.size()) +
            " member ids";
      port_race = true;
    }
    if (!port_race) return testing::AssertionFailure() << "etcd did not start: " << why << "\n" << logs();
  }
  return testing::AssertionFailure() << "etcd did not start after 5 tries (last: " << why << ")\n" << logs();
}

testing::AssertionResult EtcdCluster::wait_healthy(int timeout_ms) const {
  std::string last;
  bool healthy = wait_until(
      [&] {
        last = "no member is running";
        int asked = 0;
        for (int i = 0; i < size(); ++i) {
          if (!running(i)) continue;
          ++asked;
          HttpResult r = http_request(client_port(i), "GET", "/health", {}, 1000);
          auto doc = r.ok() ? parse_json(r.body) : std::nullopt;
          if (!doc || json_string_field(*doc, "health") != "true") {
            last = "member " + std::to_string(i) + ": " + r.describe();
            return false;
          }
        }
        return asked > 0;
      },
      timeout_ms, 50);
  if (healthy) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "not healthy within " << timeout_ms << " ms (" << last << ")";
}

std::optional<EtcdStatus> EtcdCluster::status(int i, int timeout_ms) const {
  auto st = etcd_status(client_port(i), timeout_ms);
  if (st) member_ids_.at(i) = st->member_id;
  return st;
}

int EtcdCluster::leader(int timeout_ms) const {
  std::string named;
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    auto st = status(i, timeout_ms);
    if (!st || st->leader == "0" || (!named.empty() && st->leader != named)) return -1;
    named = st->leader;
  }
  for (int i = 0; i < size(); ++i)
    if (!named.empty() && member_ids_[i] == named && running(i)) return i;
  return -1;
}

int EtcdCluster::wait_leader(int timeout_ms) const {
  int found = -1;
  wait_until([&] { return (found = leader()) >= 0; }, timeout_ms, 50);
  return found;
}

void EtcdCluster::kill(int i) {
  Member& m = members_.at(i);
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGKILL);
  reap(i, true);
}

testing::AssertionResult EtcdCluster::stop(int i, int timeout_ms) {
  if (!running(i)) return testing::AssertionFailure() << "member " << i << " is not running";
  pid_t pid = members_[i].pid;
  ::kill(pid, SIGTERM);
  if (wait_until([&] { return !running(i); }, timeout_ms)) return testing::AssertionSuccess();
  kill(i);
  return testing::AssertionFailure() << "member " << i << " (pid " << pid << ") still running " << timeout_ms
                                     << " ms after SIGTERM; killed";
}

testing::AssertionResult EtcdCluster::restart(int i, int timeout_ms) {
  if (running(i)) return testing::AssertionFailure() << "member " << i << " is running";
  if (auto r = spawn(i, true); !r) return r;
  // Bound before it answers: the client port accepts (into its backlog)
  // while it waits for a quorum.
  bool bound = wait_until([&] { return !running(i) || port_accepts(client_port(i), 200); }, timeout_ms, 20);
  if (bound && running(i)) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "member " << i
                                     << (running(i) ? " did not bind its client port within " +
                                                          std::to_string(timeout_ms) + " ms"
                                                    : " exited")
                                     << "\n"
                                     << logs();
}

std::string EtcdCluster::logs(size_t tail_bytes) const {
  std::string out;
  for (const auto& m : members_) {
    std::string text = read_file(m.log_path).value_or("");
    if (text.size() > tail_bytes) text = "..." + text.substr(text.size() - tail_bytes);
    out += "---- end of " + m.log_path + " ----\n" + text + "\n";
  }
  return out;
}

}  // namespace itest
