#include "plugins/cluster/etcd_transport.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace backend::plugins::cluster {
namespace {

using namespace std::chrono_literals;

// An HTTP/1.1 server on a loopback port that answers every request with
// one status and body (or never answers), and keeps what it was sent.
class FakeEtcd {
 public:
  explicit FakeEtcd(int status, std::string body = "{}", bool silent = false)
      : status_(status), body_(std::move(body)), silent_(silent) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t size = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    EXPECT_EQ(listen(listener_, 16), 0);
    acceptor_ = std::thread([this] { accept_all(); });
  }
  ~FakeEtcd() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (int fd : connections_) shutdown(fd, SHUT_RDWR);
    for (auto& t : serving_) t.join();
    for (int fd : connections_) ::close(fd);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  size_t requests() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  std::string request(size_t i) {
    std::lock_guard lock(mutex_);
    return seen_.at(i);
  }

 private:
  void accept_all() {
    while (!stopping_) {
      int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      connections_.push_back(fd);
      serving_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      size_t length = 0;
      if (auto at = in.find("Content-Length: "); at != std::string::npos && at < head_end)
        length = std::stoul(in.substr(at + 16));
      while (in.size() < head_end + 4 + length) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(in.substr(0, head_end + 4 + length));
      }
      in.erase(0, head_end + 4 + length);
      if (silent_) continue;  // read on, answer nothing
      std::string out = "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Type: application/json\r\n" +
                        "Content-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
      if (write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) return;
    }
  }

  int status_;
  std::string body_;
  bool silent_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> connections_;
  std::vector<std::thread> serving_;
  std::vector<std::string> seen_;
};

// A port nothing listens on: bound, never listened to, then closed.
std::string refused_url() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

class EtcdTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    if (transport_) {
      bool closed = false;
      transport_->close([&] { closed = true; });
      uv_run(&loop_, UV_RUN_DEFAULT);
      EXPECT_TRUE(closed);
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }
  EtcdTransport& make(std::vector<std::string> endpoints, std::chrono::milliseconds timeout = 2000ms) {
    transport_ = std::make_unique<EtcdTransport>(&loop_, std::move(endpoints), timeout);
    return *transport_;
  }
  EtcdReply post(const std::string& path, const std::string& body) {
    std::optional<EtcdReply> reply;
    transport_->post(path, body, [&](EtcdReply r) { reply = std::move(r); });
    while (!reply && uv_run(&loop_, UV_RUN_ONCE)) {
    }
    EXPECT_TRUE(reply) << "done was never called";
    return reply.value_or(EtcdReply{});
  }

  uv_loop_t loop_;
  std::unique_ptr<EtcdTransport> transport_;
};

TEST_F(EtcdTransportTest, AnAnswerComesBackWithItsStatusAndBody) {
  FakeEtcd etcd(200, R"({"header":{"revision":"7"}})");
  make({etcd.url()});
  EtcdReply reply = post("/v3/kv/range", R"({"key":"Zm9v"})");
  EXPECT_TRUE(reply.answered) << reply.error;
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, R"({"header":{"revision":"7"}})");
  EXPECT_EQ(reply.endpoint, etcd.url());
  ASSERT_EQ(etcd.requests(), 1u);
  std::string sent = etcd.request(0);
  EXPECT_EQ(sent.rfind("POST /v3/kv/range HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("Content-Type: application/json\r\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.substr(sent.size() - 14), R"({"key":"Zm9v"})");
}

TEST_F(EtcdTransportTest, TheConnectionIsKeptForTheNextRequest) {
  FakeEtcd etcd(200);
  make({etcd.url()});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(post("/v3/kv/range", "{}").answered);
  EXPECT_EQ(etcd.requests(), 5u);
}

TEST_F(EtcdTransportTest, AnEndpointWithoutALeaderIsSkippedAndTheOneThatAnsweredIsAskedFirstNext) {
  FakeEtcd no_leader(503, R"({"error":"etcdserver: no leader","code":14})");
  FakeEtcd healthy(200, R"({"ok":1})");
  make({no_leader.url(), healthy.url()});
  EtcdReply first = post("/v3/kv/put", "{}");
  EXPECT_TRUE(first.answered);
  EXPECT_EQ(first.endpoint, healthy.url());
  EXPECT_EQ(no_leader.requests(), 1u);
  EtcdReply second = post("/v3/kv/put", "{}");
  EXPECT_EQ(second.endpoint, healthy.url());
  EXPECT_EQ(no_leader.requests(), 1u) << "the endpoint that failed was asked again first";
  EXPECT_EQ(healthy.requests(), 2u);
}

TEST_F(EtcdTransportTest, ARefusedConnectionGoesOnToTheNextEndpoint) {
  FakeEtcd healthy(200);
  std::string refused = refused_url();
  make({refused, healthy.url()});
  EtcdReply reply = post("/v3/kv/range", "{}");
  EXPECT_TRUE(reply.answered) << reply.error;
  EXPECT_EQ(reply.endpoint, healthy.url());
}

TEST_F(EtcdTransportTest, WhenEveryEndpointFailsTheReplySaysWhyForEach) {
  FakeEtcd no_leader(503, R"({"error":"etcdserver: no leader"})");
  std::string refused = refused_url();
  make({refused, no_leader.url()});
  EtcdReply reply = post("/v3/kv/range", "{}");
  EXPECT_FALSE(reply.answered);
  EXPECT_NE(reply.error.find(refused + ": "), std::string::npos) << reply.error;
  EXPECT_NE(reply.error.find(no_leader.url() + ": HTTP 503"), std::string::npos) << reply.error;
  EXPECT_NE(reply.error.find("no leader"), std::string::npos) << reply.error;
  EXPECT_EQ(no_leader.requests(), 1u) << "each endpoint is tried once per request";
}

TEST_F(EtcdTransportTest, AClientErrorIsTheCallersToRead) {
  FakeEtcd etcd(400, R"({"error":"illegal base64 data","code":3})");
  make({etcd.url(), refused_url()});
  EtcdReply reply = post("/v3/kv/range", "{}");
  EXPECT_TRUE(reply.answered);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, R"({"error":"illegal base64 data","code":3})");
  EXPECT_EQ(etcd.requests(), 1u);
}

TEST_F(EtcdTransportTest, AnEndpointThatNeverAnswersTimesOut) {
  FakeEtcd silent(200, "{}", true);
  make({silent.url()}, 200ms);
  auto start = std::chrono::steady_clock::now();
  EtcdReply reply = post("/v3/lease/keepalive", R"({"ID":"1"})");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(reply.answered);
  EXPECT_NE(reply.error.find("timed out"), std::string::npos) << reply.error;
  EXPECT_GE(took, 190ms);
  EXPECT_EQ(silent.requests(), 1u);
}

TEST_F(EtcdTransportTest, DoneMayPostTheNextRequest) {
  FakeEtcd etcd(200);
  make({etcd.url()});
  int answered = 0;
  std::function<void(EtcdReply)> again = [&](EtcdReply reply) {
    EXPECT_TRUE(reply.answered);
    if (++answered < 3) transport_->post("/v3/kv/range", "{}", again);
  };
  transport_->post("/v3/kv/range", "{}", again);
  while (answered < 3 && uv_run(&loop_, UV_RUN_ONCE)) {
  }
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(etcd.requests(), 3u);
}

TEST_F(EtcdTransportTest, CloseDropsWhatIsInFlightAndLeavesNoHandle) {
  FakeEtcd silent(200, "{}", true);
  EtcdTransport& transport = make({silent.url()});
  bool called = false;
  transport.post("/v3/kv/range", "{}", [&](EtcdReply) { called = true; });
  transport.post("/v3/kv/put", "{}", [&](EtcdReply) { called = true; });
  while (silent.requests() < 2) uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(transport.in_flight(), 2u);
  bool closed = false;
  transport.close([&] { closed = true; });
  EXPECT_EQ(transport.in_flight(), 0u);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_TRUE(closed);
  EXPECT_FALSE(called);
  transport_.reset();
}

// The descriptors open now, but for the one listing them.
std::map<int, std::string> open_fds() {
  std::map<int, std::string> fds;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.' || atoi(entry->d_name) == dirfd(dir)) continue;
    char target[256] = {};
    readlink(("/proc/self/fd/" + std::string(entry->d_name)).c_str(), target, sizeof target - 1);
    fds[atoi(entry->d_name)] = target;
  }
  closedir(dir);
  return fds;
}

TEST_F(EtcdTransportTest, EveryDescriptorItOpensIsCloseOnExec) {
  FakeEtcd silent(200, "{}", true);
  std::map<int, std::string> before = open_fds();  // the test's own, and what its parent left it
  make({silent.url()});
  transport_->post("/v3/kv/range", "{}", [](EtcdReply) {});
  while (silent.requests() < 1) uv_run(&loop_, UV_RUN_NOWAIT);
  int sockets = 0;
  for (const auto& [fd, target] : open_fds()) {
    if (before.count(fd)) continue;
    if (target.rfind("socket:", 0) == 0) ++sockets;
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << "fd " << fd << " (" << target << ") is inherited by exec";
  }
  EXPECT_GE(sockets, 2) << "the request's connection and the server's side of it were expected";
}

}  // namespace
}  // namespace backend::plugins::cluster
