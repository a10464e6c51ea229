#include "worker/ipc/control.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <variant>
#include <vector>

namespace backend::worker {
namespace {

// The supervisor's end under test, the master's end read by hand.
struct Pair {
  Pair() {
    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds);
    uv_loop_init(&loop);
    control = std::make_unique<Control>(&loop, fds[0], [](ControlMessage&, std::vector<int>&) {});
  }
  ~Pair() {
    control->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    control.reset();
    uv_loop_close(&loop);
    close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
  }
  // The next message at the master's end, if one is there.
  std::optional<ControlMessage> next(std::vector<int>* fds_out = nullptr) {
    ControlMessage m;
    std::vector<int> got;
    if (receive_control(fds[1], m, got) != Received::kMessage) return std::nullopt;
    if (fds_out) *fds_out = got;
    else close_fds(got);
    return m;
  }
  int fds[2];
  uv_loop_t loop;
  std::unique_ptr<Control> control;
};

TEST(Control, AMessageSentLaterWaitsForTheNextOneAndGoesFirst) {
  Pair p;
  p.control->send_later(Release{41});
  EXPECT_FALSE(p.next()) << "a Release sent later went out at once";
  p.control->send(Hold{42, 3, 99});
  auto first = p.next();
  auto second = p.next();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(std::holds_alternative<Release>(*first));
  EXPECT_EQ(std::get<Release>(*first).pid, 41);
  ASSERT_TRUE(std::holds_alternative<Hold>(*second));
  EXPECT_EQ(std::get<Hold>(*second).pid, 42);
  EXPECT_FALSE(p.next());
}

// A master that dies with a message of ours unread resets the socket
// (EPOLLERR, which libuv reports as a bad fd): the supervisor's end closes
// as on any closed peer instead of staying deaf.
TEST(Control, APeerGoneWithOurMessageUnreadClosesOurEnd) {
  Pair p;
  p.control->send(Hold{42, 3, 99});
  close(p.fds[1]);
  p.fds[1] = -1;
  for (int i = 0; i < 10 && !p.control->closed(); ++i) uv_run(&p.loop, UV_RUN_NOWAIT);
  EXPECT_TRUE(p.control->closed());
}

TEST(Control, FlushSendsWhatWaits) {
  Pair p;
  p.control->flush();  // nothing waits: nothing is sent
  EXPECT_FALSE(p.next());
  p.control->send_later(Release{7});
  p.control->send_later(Release{8});
  p.control->flush();
  auto a = p.next(), b = p.next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(std::get<Release>(*a).pid, 7);
  EXPECT_EQ(std::get<Release>(*b).pid, 8);
}

// Sent at once, the fds go without copies; the caller's stay its own.
TEST(Control, TheFdsArriveAndTheCallerKeepsItsOwn) {
  Pair p;
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  p.control->send(Prepare{5}, {pipe_fds[0]});
  std::vector<int> got;
  auto m = p.next(&got);
  ASSERT_TRUE(m && std::holds_alternative<Prepare>(*m));
  ASSERT_EQ(got.size(), 1u);
  struct stat mine {}, theirs {};
  ASSERT_EQ(fstat(pipe_fds[0], &mine), 0) << "the caller's fd was closed";
  ASSERT_EQ(fstat(got[0], &theirs), 0);
  EXPECT_EQ(mine.st_ino, theirs.st_ino);
  close_fds(got);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

}  // namespace
}  // namespace backend::worker
