#include "worker/listener/supervisor_client.h"

#include <gtest/gtest.h>

#include "tests/unit/worker/listener/listener_parts.h"

namespace backend::worker {
namespace {

using testing::ChannelPair;

TEST(SupervisorClient, EachReplyGoesToItsAskerOnce) {
  ChannelPair pair;
  SupervisorClient client(&pair.loop, pair.fds[0]);
  std::vector<std::string> a, b;
  client.request("STOP {}", [&](std::string_view r) { a.emplace_back(r); });
  client.save_file({"auth", "users.json", "{}"}, [&](std::string_view r) { b.emplace_back(r); });
  ASSERT_TRUE(pair.run_until([&] { return pair.received.size() == 2; }));
  EXPECT_EQ(pair.received[0].kind, ChannelKind::kRequest);
  EXPECT_EQ(pair.received[1].kind, ChannelKind::kSaveFile);
  SaveFile save;
  ASSERT_FALSE(decode_save_file(pair.received[1].payload, save));
  EXPECT_EQ(save.file, "users.json");
  EXPECT_EQ(pair.received[0].id >> 32, uint64_t(getpid())) << "ids carry the listener's pid";
  pair.supervisor->send(ChannelKind::kReply, pair.received[1].id, "two");
  pair.supervisor->send(ChannelKind::kReply, pair.received[0].id, "one");
  pair.supervisor->send(ChannelKind::kReply, pair.received[0].id, "again");  // answered already
  pair.supervisor->send(ChannelKind::kReply, 12345, "nobody's");
  ASSERT_TRUE(pair.run_until([&] { return a.size() + b.size() == 2; }));
  pair.run_until([] { return false; });
  EXPECT_EQ(a, std::vector<std::string>{"one"});
  EXPECT_EQ(b, std::vector<std::string>{"two"});
  client.close();
}

// A new supervisor's hello names the last request its dead predecessor
// took: those up to it will never be answered and fail now; the later ones
// are still the new supervisor's to answer.
TEST(SupervisorClient, HelloFailsTheRequestsADeadSupervisorTook) {
  ChannelPair pair;
  SupervisorClient client(&pair.loop, pair.fds[0]);
  std::vector<std::string> answers(3);
  for (int i = 0; i < 3; ++i) client.request("START {}", [&, i](std::string_view r) { answers[i] = r; });
  ASSERT_TRUE(pair.run_until([&] { return pair.received.size() == 3; }));
  pair.supervisor->send(ChannelKind::kHello, 0, encode(Hello{pair.received[1].id}));
  ASSERT_TRUE(pair.run_until([&] { return !answers[1].empty(); }));
  for (int i : {0, 1}) EXPECT_NE(answers[i].find("the supervisor stopped while handling this request"), std::string::npos);
  EXPECT_TRUE(answers[2].empty());
  pair.supervisor->send(ChannelKind::kReply, pair.received[2].id, "late but answered");
  ASSERT_TRUE(pair.run_until([&] { return !answers[2].empty(); }));
  EXPECT_EQ(answers[2], "late but answered");
  client.close();
}

TEST(SupervisorClient, AHelloOfAnotherListenersIdsFailsNothing) {
  ChannelPair pair;
  SupervisorClient client(&pair.loop, pair.fds[0]);
  std::string answer;
  client.request("START {}", [&](std::string_view r) { answer = r; });
  ASSERT_TRUE(pair.run_until([&] { return pair.received.size() == 1; }));
  uint64_t other_listener = (uint64_t(getpid() + 1) << 32) | 99;
  pair.supervisor->send(ChannelKind::kHello, 0, encode(Hello{other_listener}));
  pair.supervisor->send(ChannelKind::kHello, 0, "HELLO garbage");  // logged, ignored
  pair.run_until([] { return false; });
  EXPECT_TRUE(answer.empty());
  client.close();
}

}  // namespace
}  // namespace backend::worker
