#include "worker/ipc/channel.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

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
