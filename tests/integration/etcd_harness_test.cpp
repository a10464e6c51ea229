// The etcd harness does what the fleet's tests rely on: a real cluster comes
// up healthy with one leader, data written through one member is read
// through another, a killed leader is replaced within seconds, a cluster
// without a quorum refuses writes until a member is back, and TcpProxy cuts
// a client off from etcd (timeouts, not resets) and lets it through again.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "plugins/cluster/etcd_codec.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/server_fixture.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/wire_client.h"

namespace itest {
namespace {

std::string health_request(uint16_t port) {
  return "GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
}

// Another test's process may bind a port between its pick and etcd's bind.
TEST(EtcdHarness, APortTakenBeforeTheStartIsGivenUpForAnother) {
  EtcdCluster c(1);
  const uint16_t taken = c.client_port(0);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(taken);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ASSERT_EQ(listen(fd, 1), 0);
  auto started = c.start();
  close(fd);
  ASSERT_TRUE(started);
  EXPECT_NE(c.client_port(0), taken);
  EXPECT_TRUE(etcd_put(c.client_port(0), "k", "v"));
  EXPECT_NE(read_file(c.dir() + "/m0.log").value_or("").find("address already in use"), std::string::npos);
}

TEST(EtcdHarness, ThreeMembersComeUpHealthyWithExactlyOneLeader) {
  EtcdCluster c(3);
  ASSERT_TRUE(c.start());
  EXPECT_TRUE(c.wait_healthy(5000));
  std::set<uint16_t> ports;
  for (int i = 0; i < c.size(); ++i) ports.insert({c.client_port(i), c.peer_port(i)});
  EXPECT_EQ(ports.size(), 6u);
  EXPECT_EQ(c.endpoints().size(), 3u);

  // A fresh cluster may still be settling its first election: polled until
  // every member answers and all name the same one, itself a member.
  std::string last;
  bool one_leader = wait_until(
      [&] {
        std::vector<EtcdStatus> st;
        for (int i = 0; i < c.size(); ++i)
          if (auto s = c.status(i)) st.push_back(*s);
        if (st.size() != 3u) {
          last = "not every member answers";
          return false;
        }
        int self_named = 0;
        std::set<std::string> named, ids;
        for (const auto& s : st) {
          self_named += s.leader == s.member_id;
          named.insert(s.leader);
          ids.insert(s.member_id);
        }
        last = std::to_string(self_named) + " members name themselves, " + std::to_string(named.size()) +
               " leaders named, " + std::to_string(ids.size()) + " member ids";
        return self_named == 1 && named.size() == 1u && ids.size() == 3u;
      },
      10000, 50);
  EXPECT_TRUE(one_leader) << last;
  int leader = c.leader();
  ASSERT_GE(leader, 0);
  auto st = c.status(leader);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->leader, st->member_id);
}

TEST(EtcdHarness, AKeyPutThroughMemberZeroIsReadFromMemberTwo) {
  EtcdCluster c(3);
  ASSERT_TRUE(c.start());
  const std::string value = std::string("binary \0\xff\x01 value", 17);
  ASSERT_TRUE(etcd_put(c.client_port(0), "/harness/key", value));
  std::string why;
  EXPECT_EQ(etcd_get(c.client_port(2), "/harness/key", 2000, &why), value) << why;
  EXPECT_FALSE(etcd_get(c.client_port(2), "/harness/absent", 2000, &why));
  EXPECT_EQ(why.rfind("absent", 0), 0u) << why;
}

TEST(EtcdHarness, TheLeaderKilledTheOthersElectANewOneWithinSeconds) {
  EtcdCluster c(3);
  ASSERT_TRUE(c.start());
  const int old = c.wait_leader(10000);
  ASSERT_GE(old, 0);
  c.kill(old);
  EXPECT_FALSE(c.running(old));
  const int64_t t0 = now_ms();
  const int next = c.wait_leader(10000);
  const int64_t took = now_ms() - t0;
  std::cout << "[ etcd     ] a new leader " << took << " ms after the old one was killed\n";
  ASSERT_GE(next, 0) << "no new leader within 10 s";
  EXPECT_NE(next, old);
  const int other = 3 - old - next;  // the survivor that follows
  EXPECT_TRUE(etcd_put(c.client_port(other), "after", "election", 3000));
  EXPECT_EQ(etcd_get(c.client_port(next), "after"), "election");
}

TEST(EtcdHarness, WithoutAQuorumAPutFailsAndOnceAMemberIsBackItSucceeds) {
  EtcdCluster c(3);
  ASSERT_TRUE(c.start());
  ASSERT_TRUE(etcd_put(c.client_port(0), "k", "before"));
  c.kill(1);
  ASSERT_TRUE(c.stop(2));  // the SIGTERM path, too
  EXPECT_FALSE(c.running(1));
  EXPECT_FALSE(c.running(2));

  // etcd itself gives up only after 7 s (5 s + two election timeouts):
  // the client's 2 s timeout comes first.
  int64_t t0 = now_ms();
  EXPECT_FALSE(etcd_put(c.client_port(0), "k", "lonely", 2000));
  EXPECT_LT(now_ms() - t0, 3500);
  // A lone leader steps down within two election timeouts (CheckQuorum).
  EXPECT_TRUE(wait_until([&] { return c.leader() == -1; }, 5000, 50)) << "member " << c.leader() << " leads alone";

  ASSERT_TRUE(c.restart(1));
  t0 = now_ms();
  bool written = wait_until([&] { return etcd_put(c.client_port(0), "k", "back", 2000); }, 15000, 50);
  std::cout << "[ etcd     ] a put succeeds " << now_ms() - t0 << " ms after a second member is back\n";
  EXPECT_TRUE(written);
  EXPECT_TRUE(c.wait_healthy(5000));
  EXPECT_EQ(etcd_get(c.client_port(1), "k"), "back");
}

TEST(EtcdHarness, PausedTheProxyTimesRequestsOutWhileDirectOnesWorkAndResumedItForwards) {
  EtcdCluster c(1);
  ASSERT_TRUE(c.start());
  TcpProxy proxy(c.client_port(0));
  ASSERT_TRUE(etcd_put(proxy.port(), "k", "v1"));

  proxy.pause();
  EXPECT_TRUE(proxy.paused());
  std::string body = R"({"key":")" + backend::plugins::cluster::etcd::base64_encode("k") + R"("})";
  HttpResult r = http_request(proxy.port(), "POST", "/v3/kv/range", body, 1000);
  EXPECT_TRUE(r.timed_out) << r.describe();
  EXPECT_GE(r.elapsed_ms, 990) << "an error, not a timeout: " << r.describe();
  EXPECT_TRUE(etcd_put(c.client_port(0), "k", "v2"));
  EXPECT_EQ(etcd_get(c.client_port(0), "k"), "v2");

  proxy.resume();
  std::string why;
  EXPECT_EQ(etcd_get(proxy.port(), "k", 2000, &why), "v2") << why;
}

// As documented in tcp_proxy.h: a pause loses nothing, on a connection
// open before it or one made during it.
TEST(EtcdHarness, TheProxyDeliversWhatWasSentDuringAPauseOnceResumed) {
  EtcdCluster c(1);
  ASSERT_TRUE(c.start());
  TcpProxy proxy(c.client_port(0));
  WireClient before;
  ASSERT_TRUE(before.connect(proxy.port()));
  HttpReply reply;
  ASSERT_TRUE(before.send_raw(health_request(proxy.port())));
  ASSERT_EQ(before.read_http(reply, 2000), WireClient::Status::kOk);
  EXPECT_EQ(reply.status, 200);

  proxy.pause();
  ASSERT_TRUE(before.send_raw(health_request(proxy.port())));
  WireClient during;
  ASSERT_TRUE(during.connect(proxy.port())) << "the backlog takes it";
  ASSERT_TRUE(during.send_raw(health_request(proxy.port())));
  EXPECT_FALSE(before.readable(500)) << "an answer through a paused proxy";
  EXPECT_FALSE(during.readable(0));
  EXPECT_EQ(proxy.open_connections(), 1);

  proxy.resume();
  for (WireClient* w : {&before, &during}) {
    HttpReply late;
    EXPECT_EQ(w->read_http(late, 3000), WireClient::Status::kOk);
    EXPECT_EQ(late.status, 200);
    EXPECT_NE(late.body.find("\"health\":\"true\""), std::string::npos) << late.body;
  }
  EXPECT_EQ(proxy.accepted(), 2u);

  proxy.reset_connections();
  EXPECT_TRUE(before.wait_closed(2000)) << "reset_connections left a connection open";
  EXPECT_TRUE(during.wait_closed(2000));
  EXPECT_EQ(proxy.open_connections(), 0);
  EXPECT_TRUE(etcd_put(proxy.port(), "after", "reset"));
}

TEST(EtcdHarness, TheProxyForwardsManyConnectionsAtOnceAndCanBePutBackOnItsPort) {
  EtcdCluster c(1);
  ASSERT_TRUE(c.start());
  auto proxy = std::make_unique<TcpProxy>(c.client_port(0));
  constexpr int kClients = 16, kEach = 5;
  std::atomic<int> good{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t)
    clients.emplace_back([&, t] {
      for (int n = 0; n < kEach; ++n) {
        std::string key = "c" + std::to_string(t) + "/" + std::to_string(n);
        auto put = etcd_put(proxy->port(), key, key, 5000);
        if (put && etcd_get(proxy->port(), key, 5000) == key)
          ++good;
        else if (failures[t].empty())
          failures[t] = put ? "get " + key + " differs" : put.message();
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(good, kClients * kEach) << [&] {
    for (const auto& f : failures)
      if (!f.empty()) return f;
    return std::string();
  }();
  EXPECT_EQ(proxy->accepted(), uint64_t{2 * kClients * kEach});

  const uint16_t port = proxy->port();
  proxy.reset();
  EXPECT_FALSE(port_accepts(port)) << "the proxy's listener outlived it";
  TcpProxy again(c.client_port(0), port);
  EXPECT_EQ(again.port(), port);
  EXPECT_EQ(etcd_get(port, "c0/0"), "c0/0");
}

}  // namespace
}  // namespace itest
