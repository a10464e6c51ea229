#include "worker/ipc/channel.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace backend::worker {
namespace {

struct Pair {
  Pair() {
    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
    size_channel_socket(fds[0]);
    size_channel_socket(fds[1]);
    uv_loop_init(&loop);
  }
  ~Pair() {
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    close(fds[0]);
    close(fds[1]);
  }
  int fds[2];
  uv_loop_t loop;
};

TEST(Channel, MessagesArriveWholeWithTheirIdsAndKinds) {
  Pair p;
  std::vector<std::pair<uint64_t, std::string>> got;
  std::vector<ChannelKind> kinds;
  Channel b(&p.loop, p.fds[1], [&](ChannelKind kind, uint64_t id, std::string_view m) {
    kinds.push_back(kind);
    got.emplace_back(id, std::string(m));
  });
  Channel a(&p.loop, p.fds[0], [](ChannelKind, uint64_t, std::string_view) {});
  std::string big(Channel::kMaxPayload, 'x');
  a.send(ChannelKind::kRequest, 7, "ADD {}");
  a.send(ChannelKind::kReply, 8, big);
  a.send(ChannelKind::kHello, 9, "");
  while (got.size() < 3 && uv_run(&p.loop, UV_RUN_ONCE)) {}
  a.close();
  b.close();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (std::pair<uint64_t, std::string>{7, "ADD {}"}));
  EXPECT_EQ(got[1].first, 8u);
  EXPECT_EQ(got[1].second, big);
  EXPECT_EQ(got[2].second, "");
  EXPECT_EQ(kinds, (std::vector<ChannelKind>{ChannelKind::kRequest, ChannelKind::kReply, ChannelKind::kHello}));
}

// The supervisor notes a request as taken while it still sits in the socket:
// dying between the two leaves it for the next supervisor, never lost.
TEST(Channel, TakingIsAnnouncedWhileTheMessageIsStillInTheSocket) {
  Pair p;
  std::vector<uint64_t> announced, received;
  std::vector<bool> still_queued;
  Channel b(
      &p.loop, p.fds[1], [&](ChannelKind, uint64_t id, std::string_view) { received.push_back(id); },
      [&](uint64_t id) {
        announced.push_back(id);
        uint64_t head = 0;
        ssize_t n = recv(p.fds[1], &head, sizeof head, MSG_DONTWAIT | MSG_PEEK);
        still_queued.push_back(n == static_cast<ssize_t>(sizeof head) && head == id);
      });
  Channel a(&p.loop, p.fds[0], [](ChannelKind, uint64_t, std::string_view) {});
  a.send(ChannelKind::kRequest, 41, "START {}");
  a.send(ChannelKind::kRequest, 42, "STOP {}");
  while (received.size() < 2 && uv_run(&p.loop, UV_RUN_ONCE)) {}
  a.close();
  b.close();
  EXPECT_EQ(announced, (std::vector<uint64_t>{41, 42}));
  EXPECT_EQ(received, (std::vector<uint64_t>{41, 42}));
  EXPECT_EQ(still_queued, (std::vector<bool>{true, true}));
}

// A payload longer than a packet goes in several and arrives whole, in
// order with the messages around it, announced as taken once.
TEST(Channel, AMessageLongerThanAPacketArrivesWhole) {
  Pair p;
  std::vector<std::pair<uint64_t, std::string>> got;
  std::vector<uint64_t> announced;
  Channel b(
      &p.loop, p.fds[1], [&](ChannelKind, uint64_t id, std::string_view m) { got.emplace_back(id, std::string(m)); },
      [&](uint64_t id) { announced.push_back(id); });
  Channel a(&p.loop, p.fds[0], [](ChannelKind, uint64_t, std::string_view) {});
  std::string big;
  for (int i = 0; big.size() < 3 * Channel::kMaxPayload + 7; ++i) big += std::to_string(i) + ",";
  a.send(ChannelKind::kRequest, 1, "before");
  a.send(ChannelKind::kReply, 2, big);
  a.send(ChannelKind::kReply, 3, std::string(Channel::kMaxPayload, 'e'));  // exactly one packet
  a.send(ChannelKind::kRequest, 4, "after");
  while (got.size() < 4 && uv_run(&p.loop, UV_RUN_ONCE)) {}
  a.close();
  b.close();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].second, "before");
  EXPECT_EQ(got[1].first, 2u);
  EXPECT_TRUE(got[1].second == big) << "the long message differs, " << got[1].second.size() << " bytes";
  EXPECT_EQ(got[2].second.size(), Channel::kMaxPayload);
  EXPECT_EQ(got[3].second, "after");
  EXPECT_EQ(announced, (std::vector<uint64_t>{1, 2, 3, 4}));
}

// A sender that died between the packets of a message left its start; one
// that took over after a receiver died leaves packets without theirs. Both
// are dropped, and the next whole message gets through.
TEST(Channel, APartMessageIsDroppedAndTheNextOneArrives) {
  Pair p;
  std::vector<std::pair<uint64_t, std::string>> got;
  Channel b(&p.loop, p.fds[1], [&](ChannelKind, uint64_t id, std::string_view m) { got.emplace_back(id, std::string(m)); });
  auto packet = [&](uint64_t id, uint8_t kind_byte, const std::string& body) {
    std::string m(9 + body.size(), '\0');
    std::memcpy(m.data(), &id, 8);
    m[8] = static_cast<char>(kind_byte);
    std::memcpy(m.data() + 9, body.data(), body.size());
    ASSERT_EQ(send(p.fds[0], m.data(), m.size(), 0), static_cast<ssize_t>(m.size()));
  };
  const uint8_t reply = static_cast<uint8_t>(ChannelKind::kReply);
  packet(5, reply | 0x80, "start of five, ");     // its end never comes
  packet(6, reply, "six");                        // a whole one
  packet(7, reply | 0x40, "middle of seven");     // its start went elsewhere
  packet(7, reply | 0x40 | 0x80, "more of seven");
  packet(8, reply | 0x80, "eight, ");             // in two packets
  packet(8, reply | 0x40, "whole");
  while (got.size() < 2 && uv_run(&p.loop, UV_RUN_ONCE)) {}
  b.close();
  EXPECT_EQ(got, (std::vector<std::pair<uint64_t, std::string>>{{6, "six"}, {8, "eight, whole"}}));
}

TEST(Channel, ASenderNeverBlocksWhenThePeerIsSlow) {
  Pair p;
  Channel a(&p.loop, p.fds[0], [](ChannelKind, uint64_t, std::string_view) {});
  std::string msg(64 * 1024, 'y');
  for (int i = 0; i < 200; ++i) a.send(ChannelKind::kRequest, i, msg);  // far more than the socket holds
  int received = 0;
  Channel b(&p.loop, p.fds[1], [&](ChannelKind, uint64_t, std::string_view m) { received += m.size() == msg.size(); });
  while (received < 200 && uv_run(&p.loop, UV_RUN_ONCE)) {}
  EXPECT_EQ(received, 200);
  a.close();
  b.close();
}

}  // namespace
}  // namespace backend::worker
