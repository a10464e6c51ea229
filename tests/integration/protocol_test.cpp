// The wire protocol over a real socket: framing, limits, timeouts, many
// clients at once.
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

std::string add_params(const std::string& job, const std::string& params = "p") {
  return R"({"jobname":")" + job + R"(","command":"/bin/true","params":")" + params + R"("})";
}

TEST(Protocol, FramesSplitOneByteAtATime) {
  Server s;
  ASSERT_TRUE(s.start());
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  for (const std::string& payload : {request_payload("ADD", add_params("split")),
                                     request_payload("GET", R"({"jobname":"split"})")}) {
    std::string bytes = encode_frame(payload);
    for (size_t i = 0; i + 1 < bytes.size(); ++i) {
      ASSERT_TRUE(c.send_raw(bytes.substr(i, 1)));
      usleep(300);  // each byte its own segment
    }
    EXPECT_FALSE(c.readable(100)) << "a reply came before the frame was complete";
    ASSERT_TRUE(c.send_raw(bytes.substr(bytes.size() - 1)));
    Reply r = next_reply(c);
    EXPECT_EQ(r.code(), "OK") << r.raw;
  }
  // The last reply was GET's: the settings that ADD stored.
  auto r = c.request("GET", R"({"jobname":"split"})");
  ASSERT_TRUE(r && r->ok());
  EXPECT_STREQ(r->data()["jobname"].GetString(), "split");
  EXPECT_STREQ(r->data()["command"].GetString(), "/bin/true");
}

TEST(Protocol, CoalescedFramesAreAnsweredInOrder) {
  Server s;
  ASSERT_TRUE(s.start());
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  // Two frames in one write.
  ASSERT_TRUE(c.send_raw(encode_frame("STATUSALL") + encode_frame("GETALL")));
  Reply a = next_reply(c), b = next_reply(c);
  EXPECT_EQ(a.code(), "OK");
  EXPECT_EQ(a.data_json(), "{}") << a.raw;
  EXPECT_EQ(b.code(), "OK");
  EXPECT_EQ(b.data_json(), "{}") << b.raw;

  // A forwarded command (ADD goes to the supervisor) between answers the
  // listener gives itself: the replies must not overtake each other. The
  // last frame is cut in two.
  std::string last = encode_frame(request_payload("GET", R"({"jobname":"coal"})"));
  ASSERT_TRUE(c.send_raw(encode_frame(request_payload("ADD", add_params("coal", "first"))) +
                         encode_frame(request_payload("GET", R"({"jobname":"coal"})")) +
                         encode_frame(request_payload("UPDATE", R"({"jobname":"coal","params":"second"})")) +
                         encode_frame("STATUSALL") + last.substr(0, 7)));
  Reply add = next_reply(c), get = next_reply(c), update = next_reply(c), status = next_reply(c);
  EXPECT_EQ(add.code(), "OK") << add.raw;
  ASSERT_EQ(get.code(), "OK") << "GET overtook the ADD before it: " << get.raw;
  EXPECT_STREQ(get.data()["params"].GetString(), "first") << get.raw;
  EXPECT_EQ(update.code(), "OK") << update.raw;
  EXPECT_EQ(status.data_json(), R"({"coal":"DOWN"})") << status.raw;
  EXPECT_FALSE(c.readable(100)) << "a reply for the half frame";
  ASSERT_TRUE(c.send_raw(last.substr(7)));
  Reply get2 = next_reply(c);
  ASSERT_EQ(get2.code(), "OK") << get2.raw;
  EXPECT_STREQ(get2.data()["params"].GetString(), "second") << get2.raw;
}

TEST(Protocol, BadRequestsAreAnsweredAndTheConnectionGoesOn) {
  Server s;
  ASSERT_TRUE(s.start());
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  auto r = c.request("NOSUCHCOMMAND");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code(), "UNKNOWN") << r->raw;
  r = c.request("GET", "{not json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code(), "FAILED") << r->raw;
  EXPECT_EQ(r->error(), "params decode failed") << r->raw;
  r = c.request("GET", "[1,2]");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), "params decode failed") << r->raw;
  r = c.request("GET", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code(), "FAILED") << r->raw;
  EXPECT_FALSE(r->error().empty()) << "a FAILED answer must say why: " << r->raw;
  r = c.request("ADD", R"({"jobname":"../x","command":"/bin/true"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code(), "FAILED") << r->raw;
  ASSERT_TRUE(c.send_frame(""));  // an empty payload
  Reply empty = next_reply(c);
  EXPECT_NE(empty.code(), "OK") << empty.raw;
  r = c.request("STATUSALL");
  ASSERT_TRUE(r) << "the connection did not survive the bad requests";
  EXPECT_TRUE(r->ok());
}

class ProtocolLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    s.set("max_frame_bytes", "2048");
    ASSERT_TRUE(s.start());
  }
  // A STATUSALL request of exactly n payload bytes.
  Server s;
};

TEST_F(ProtocolLimits, FrameAtTheLimitIsServed) {
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  std::string p = statusall_of_size(2048);
  ASSERT_EQ(p.size(), 2048u);
  ASSERT_TRUE(c.send_frame(p));
  Reply r = next_reply(c);
  EXPECT_EQ(r.code(), "OK") << r.raw;
}

TEST_F(ProtocolLimits, LargerFrameIsRefusedAndTheConnectionClosed) {
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  // A good request first, in the same write: it is answered before the refusal.
  ASSERT_TRUE(c.send_raw(encode_frame("STATUSALL") + encode_frame(statusall_of_size(2049))));
  Reply ok = next_reply(c);
  EXPECT_EQ(ok.code(), "OK") << ok.raw;
  Reply refused = next_reply(c);
  EXPECT_EQ(refused.code(), "FAILED") << refused.raw;
  EXPECT_NE(refused.error().find("2049"), std::string::npos) << refused.raw;
  EXPECT_NE(refused.error().find("2048"), std::string::npos) << refused.raw;
  EXPECT_TRUE(c.wait_closed(2000)) << "the connection stayed open after the refusal";
  EXPECT_TRUE(s.wait_ready(2000)) << "the server stopped serving after a refused frame";
}

TEST_F(ProtocolLimits, HugeAnnouncedLengthIsRefusedAtOnce) {
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  // Announces ~4 GiB and sends only a little: refused on the header alone.
  ASSERT_TRUE(c.send_raw(std::string("\xf0\xff\xff\xff", 4) + "STATUSALL"));
  Reply refused = next_reply(c, 2000);
  EXPECT_EQ(refused.code(), "FAILED") << refused.raw;
  EXPECT_NE(refused.error().find("4294967280"), std::string::npos) << refused.raw;
  EXPECT_TRUE(c.wait_closed(2000));
  // Others are served meanwhile and after.
  WireClient other;
  ASSERT_TRUE(other.connect(s.port));
  auto r = other.request("STATUSALL");
  ASSERT_TRUE(r && r->ok());
  EXPECT_TRUE(s.master_alive());
  EXPECT_NE(s.listener_pid(), 0);
}

// One test for the three cases so that they share the wait.
TEST(Protocol, IdleAndStalledConnectionsAreClosedAfterIdleTimeout) {
  Server s;
  s.set("idle_timeout", "1");
  ASSERT_TRUE(s.start());
  WireClient idle, stalled_header, stalled_payload, active;
  int64_t t0 = now_ms();
  ASSERT_TRUE(idle.connect(s.port));
  ASSERT_TRUE(stalled_header.connect(s.port));
  ASSERT_TRUE(stalled_payload.connect(s.port));
  ASSERT_TRUE(active.connect(s.port));
  ASSERT_TRUE(stalled_header.send_raw(std::string("\x20\x00", 2)));
  ASSERT_TRUE(stalled_payload.send_raw(encode_frame("STATUSALL").substr(0, 8)));
  struct Watch {
    WireClient* c;
    const char* what;
    int64_t closed_at = -1;
  };
  Watch watches[] = {{&idle, "idle"}, {&stalled_header, "stalled in the header"},
                     {&stalled_payload, "stalled in the payload"}};
  int answered = 0;
  // The active client talks every 300 ms for 2.4 s: it must never be cut.
  while (now_ms() - t0 < 2400) {
    auto r = active.request("STATUSALL", {}, 1000);
    ASSERT_TRUE(r && r->ok()) << "the active connection was closed after " << now_ms() - t0 << " ms";
    ++answered;
    int64_t until = now_ms() + 300;
    while (now_ms() < until) {
      for (auto& w : watches)
        if (w.closed_at < 0 && w.c->readable(0) && w.c->wait_closed(0)) w.closed_at = now_ms() - t0;
      usleep(10 * 1000);
    }
  }
  for (auto& w : watches) {
    SCOPED_TRACE(w.what);
    ASSERT_GE(w.closed_at, 0) << "not closed within 2.4 s with idle_timeout 1";
    EXPECT_GE(w.closed_at, 900) << "closed too early";
    EXPECT_LE(w.closed_at, 2200);
  }
  EXPECT_GE(answered, 6);
}

// Idleness is about the client: a client that keeps reading a long stream
// of replies it asked for is not idle, however long the replies take.
TEST(Protocol, AFrameTricklingInIsClosedLikeAStalledOne) {
  Server s;
  s.set("idle_timeout", "1");
  ASSERT_TRUE(s.start());
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  std::string f = encode_frame("STATUSALL");
  int64_t t0 = now_ms();
  bool closed = false;
  for (size_t i = 0; i + 1 < f.size() && now_ms() - t0 < 4000; ++i) {  // never the last byte
    if (!c.send_raw(f.substr(i, 1))) break;
    if ((closed = c.wait_closed(300))) break;
  }
  EXPECT_TRUE(closed || c.wait_closed(1000)) << "a frame sent a byte every 300 ms kept its connection";
  EXPECT_LT(now_ms() - t0, 3500);
  EXPECT_TRUE(ok(s.request("STATUSALL", "")));
}

TEST(Protocol, SlowReaderOfLargeRepliesIsNotCutByIdleTimeout) {
  Server s;
  s.set("idle_timeout", "1");
  ASSERT_TRUE(s.start());
  std::string big(8000, 'x');
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ok(s.request("ADD", add_params("big" + std::to_string(i), big))));
  constexpr int kRequests = 100;  // ~160 KB each: far more than the socket buffers hold
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  std::string burst;
  for (int i = 0; i < kRequests; ++i) burst += encode_frame("GETALL");
  ASSERT_TRUE(c.send_raw(burst));
  int64_t t0 = now_ms();
  int got = 0;
  for (; got < kRequests; ++got) {
    std::string payload;
    if (c.read_frame(payload, 3000) != WireClient::Status::kOk) break;
    usleep(20 * 1000);  // a steady, slow reader: about 8 MB/s, 2 s in all
  }
  EXPECT_EQ(got, kRequests) << "the connection was cut after " << now_ms() - t0
                            << " ms while the server was still sending replies";
}

// A client that asks and never reads must not make the listener hold every
// reply: past a few MiB it is read from no more.
TEST(Protocol, RepliesNobodyReadsDoNotPileUpInTheListener) {
  Server s;
  ASSERT_TRUE(s.start());
  std::string big(8000, 'x');
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ok(s.request("ADD", add_params("big" + std::to_string(i), big))));
  WireClient hog;
  ASSERT_TRUE(hog.connect(s.port));
  std::string burst;
  for (int i = 0; i < 1500; ++i) burst += encode_frame("GETALL");  // ~240 MB of replies
  ASSERT_TRUE(hog.send_raw(burst));
  usleep(500 * 1000);
  pid_t listener = s.listener_pid();
  ASSERT_GT(listener, 0);
  auto status = read_file("/proc/" + std::to_string(listener) + "/status");
  ASSERT_TRUE(status);
  long rss_kb = std::stol(status->substr(status->find("VmRSS:") + 6));
  EXPECT_LT(rss_kb, 64 * 1024) << "the listener holds the unread replies";
  EXPECT_TRUE(ok(s.request("STATUSALL", "")));  // and serves others meanwhile
}

TEST(Protocol, TwoHundredConcurrentConnections) {
  constexpr int kClients = 200;
  Server s;
  ASSERT_TRUE(s.start());
  // A client stalled half-way through a frame delays nobody.
  WireClient staller;
  ASSERT_TRUE(staller.connect(s.port));
  ASSERT_TRUE(staller.send_raw(encode_frame("STATUSALL").substr(0, 6)));

  std::vector<WireClient> clients(kClients);
  for (int i = 0; i < kClients; ++i) ASSERT_TRUE(clients[i].connect(s.port)) << "connection " << i;
  int64_t t0 = now_ms();
  // Every client ADDs its own job at once: 200 requests forwarded to the
  // supervisor together.
  for (int i = 0; i < kClients; ++i)
    ASSERT_TRUE(clients[i].send_frame(request_payload("ADD", add_params("c" + std::to_string(i))))) << i;
  for (int i = 0; i < kClients; ++i) {
    Reply r = next_reply(clients[i]);
    ASSERT_EQ(r.code(), "OK") << "client " << i << ": " << r.raw;
  }
  // And again on the same connections (keep-alive), a query this time.
  for (int i = 0; i < kClients; ++i)
    ASSERT_TRUE(clients[i].send_frame(request_payload("GET", "{\"jobname\":\"c" + std::to_string(i) + "\"}")));
  for (int i = 0; i < kClients; ++i) {
    Reply r = next_reply(clients[i]);
    ASSERT_EQ(r.code(), "OK") << "client " << i << ": " << r.raw;
    EXPECT_EQ(std::string(r.data()["jobname"].GetString()), "c" + std::to_string(i));
  }
  int64_t took = now_ms() - t0;
  EXPECT_LT(took, 5000) << "400 requests on 200 connections took " << took << " ms";
  auto all = s.request("GETALL");
  ASSERT_TRUE(all && all->ok());
  EXPECT_EQ(all->data().MemberCount(), static_cast<unsigned>(kClients));
  EXPECT_FALSE(staller.readable(0));
}

TEST(Protocol, MaxConnectionsIsEnforced) {
  Server s;
  s.set("max_connections", "5");
  ASSERT_TRUE(s.start());
  std::vector<WireClient> held(5);
  for (auto& c : held) {
    ASSERT_TRUE(c.connect(s.port));
    ASSERT_TRUE(ok(c.request("STATUSALL")));
  }
  WireClient extra;
  ASSERT_TRUE(extra.connect(s.port));  // the kernel accepts it; the listener says why it ends it
  Reply refusal = next_reply(extra, 2000);
  EXPECT_EQ(refusal.code(), "FAILED") << refusal.raw;
  EXPECT_NE(refusal.error().find("limit of 5 connections"), std::string::npos) << refusal.raw;
  EXPECT_TRUE(extra.wait_closed(2000)) << "a sixth connection was kept with max_connections 5";
  for (auto& c : held) EXPECT_TRUE(ok(c.request("STATUSALL"))) << "a connection within the limit was cut";
  held.pop_back();  // one leaves: room for one more
  EXPECT_TRUE(wait_until([&] { return ok(s.request("STATUSALL", {}, 500)); }, 3000))
      << "no connection accepted after one of the five closed";
}

// A client that sends its requests and then shuts down its sending side
// (as `nc -N` or a script that signals "no more requests" does) still gets
// every answer: "The server answers every complete request before it
// closes a connection".
TEST(Protocol, HalfClosedClientGetsEveryAnswer) {
  Server s;
  ASSERT_TRUE(s.start());
  {
    // One forwarded request.
    WireClient c;
    ASSERT_TRUE(c.connect(s.port));
    ASSERT_TRUE(c.send_frame(request_payload("ADD", add_params("half"))));
    ASSERT_EQ(shutdown(c.fd(), SHUT_WR), 0);
    Reply r = next_reply(c);
    EXPECT_EQ(r.code(), "OK") << r.raw;
    EXPECT_TRUE(c.wait_closed(2000)) << "not closed after the client's end";
  }
  // Replies larger than the socket buffers: some are still queued in the
  // server when it reads the client's end of stream.
  std::string big(8000, 'x');
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ok(s.request("ADD", add_params("big" + std::to_string(i), big))));
  constexpr int kRequests = 100;
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  std::string burst;
  for (int i = 0; i < kRequests; ++i) burst += encode_frame("GETALL");
  ASSERT_TRUE(c.send_raw(burst));
  ASSERT_EQ(shutdown(c.fd(), SHUT_WR), 0);
  usleep(100 * 1000);  // the server reads the end of stream while its replies wait for us
  int got = 0;
  for (; got < kRequests; ++got) {
    std::string payload;
    if (c.read_frame(payload, 3000) != WireClient::Status::kOk) break;
  }
  EXPECT_EQ(got, kRequests) << "replies lost when the client half-closed (each reply is "
                            << raw_of(s.request("GETALL")).size() << " bytes)";
}

}  // namespace
}  // namespace itest
