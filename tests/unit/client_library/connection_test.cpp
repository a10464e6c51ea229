// The transport, through Backend calls against a scripted fake server:
// split, oversized and truncated replies, servers that close or stall,
// keep-alive and reconnecting.
#include "backend/client.h"

#include <gtest/gtest.h>

#include <chrono>

#include "fake_server.h"

namespace backend::client {
namespace {

using testing::FakeServer;
using testing::Peer;
using protocol::encode_frame;

Backend client_of(const FakeServer& s, int call_ms = 3000) {
  Options o;
  o.port = s.port();
  o.call_timeout = std::chrono::milliseconds(call_ms);
  o.max_reply_bytes = 1 << 20;
  return Backend(o);
}

TEST(Connection, AReplyArrivingOneByteAtATimeIsReadWhole) {
  std::string seen;
  FakeServer s([&](Peer& p, int) {
    seen = p.read_request();
    p.write_bytewise(encode_frame(R"({"code":"OK","data":{"a":[1,2]}})"));
  });
  Backend be(Options{.port = s.port()});
  auto r = be.status("x");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.data()["a"][1].GetInt(), 2);
  EXPECT_EQ(seen, R"(STATUS {"jobname":"x"})");
}

TEST(Connection, AnOversizedReplyIsATransportErrorAndTheConnectionIsDropped) {
  FakeServer s([](Peer& p, int n) {
    if (p.read_request().empty()) return;
    if (n == 0)
      p.write(std::string("\xf0\xff\xff\x0f", 4));  // 268 MB announced
    else
      p.write(encode_frame(R"({"code":"OK"})"));
  });
  Backend be = client_of(s);
  auto r = be.statusall();
  EXPECT_EQ(r.code(), Code::kTransport);
  EXPECT_NE(r.error().find("over the limit of 1048576 bytes"), std::string::npos) << r.error();
  EXPECT_TRUE(be.statusall().ok()) << "the next call works on a new connection";
  EXPECT_EQ(s.connections(), 2);
}

TEST(Connection, ATruncatedReplyIsATransportErrorThatSaysHowMuchCame) {
  FakeServer s([](Peer& p, int) {
    p.read_request();
    p.write(std::string("\x64\0\0\0", 4) + R"({"code":"O)");
  });
  Backend be = client_of(s);
  auto r = be.get("j");
  EXPECT_EQ(r.code(), Code::kTransport);
  EXPECT_NE(r.error().find("closed the connection"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("after 10 of 100 bytes"), std::string::npos) << r.error();
  EXPECT_EQ(s.connections(), 1) << "a reply that had begun is never asked for again";
}

TEST(Connection, AStalledServerTimesOutTheCall) {
  FakeServer s([](Peer& p, int) {
    p.read_request();
    p.client_closed(3000);  // never answers; waits for the client to give up
  });
  Backend be = client_of(s, 200);
  auto t0 = std::chrono::steady_clock::now();
  auto r = be.servermem();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.code(), Code::kTransport);
  EXPECT_NE(r.error().find("timed out"), std::string::npos) << r.error();
  EXPECT_LT(ms, 2000);
  EXPECT_EQ(s.connections(), 1) << "a timed-out call is not sent again";
}

TEST(Connection, AServerThatClosesAFreshConnectionUnansweredIsAnErrorNotARetry) {
  FakeServer s([](Peer& p, int) { p.read_request(); });
  Backend be = client_of(s);
  auto r = be.start("j");
  EXPECT_EQ(r.code(), Code::kTransport);
  EXPECT_NE(r.error().find("closed"), std::string::npos) << r.error();
  EXPECT_EQ(s.connections(), 1);
}

TEST(Connection, CallsShareOneConnection) {
  FakeServer s([](Peer& p, int) {
    for (std::string req; !(req = p.read_request()).empty();) p.write(encode_frame(R"({"code":"OK","data":"UP"})"));
  });
  Backend be = client_of(s);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(be.status("j").ok());
  EXPECT_EQ(s.connections(), 1);
}

TEST(Connection, AConnectionTheServerClosedIsReplacedBeforeTheNextCall) {
  FakeServer s([](Peer& p, int) {
    p.read_request();
    p.write(encode_frame(R"({"code":"OK"})"));  // then closes, as an idle timeout would
  });
  Backend be = client_of(s);
  ASSERT_TRUE(be.start("j").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto r = be.stop("j");
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(s.connections(), 2);
}

TEST(Connection, ARequestLostToAClosingKeptConnectionIsSentOnceMore) {
  // The first connection answers one call, then closes on the next request
  // without answering (the server's idle timeout firing as it arrives).
  std::atomic<int> answered{0};
  FakeServer s([&](Peer& p, int n) {
    p.read_request();
    if (n == 0) {
      p.write(encode_frame(R"({"code":"OK"})"));
      p.read_request();
      return;
    }
    ++answered;
    p.write(encode_frame(R"({"code":"OK","data":7})"));
  });
  Backend be = client_of(s);
  ASSERT_TRUE(be.mem("j").ok());
  auto r = be.mem("j");
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.data().GetInt(), 7);
  EXPECT_EQ(answered.load(), 1);
}

TEST(Connection, NothingListeningIsATransportErrorNamingTheAddress) {
  uint16_t port;
  { FakeServer gone([](Peer&, int) {}); port = gone.port(); }
  Backend be(Options{.port = port});
  auto r = be.getall();
  EXPECT_EQ(r.code(), Code::kTransport);
  EXPECT_NE(r.error().find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error();
}

TEST(Connection, AReplyThatIsNoJsonObjectIsATransportError) {
  FakeServer s([](Peer& p, int) {
    p.read_request();
    p.write(encode_frame("[1,2]"));
  });
  Backend be = client_of(s);
  auto r = be.memall();
  EXPECT_EQ(r.code(), Code::kTransport);
  EXPECT_NE(r.error().find("not a JSON object"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace backend::client
