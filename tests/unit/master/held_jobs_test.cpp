#include "master/held_jobs.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

namespace backend::master {
namespace {

std::vector<int> two_pipes_read_ends(std::vector<int>& write_ends) {
  std::vector<int> reads;
  for (int i = 0; i < 2; ++i) {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    reads.push_back(p[0]);
    write_ends.push_back(p[1]);
  }
  return reads;
}

bool fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST(HeldJobs, HoldsHandsBackAddressedAndReleases) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes);
  std::vector<int> kept = fds;
  held.on_message("HOLD 4242 7 123456", fds, out);
  EXPECT_EQ(fds, (std::vector<int>{-1, -1}));  // taken over
  EXPECT_EQ(held.size(), 1u);
  EXPECT_TRUE(out.empty());

  std::vector<int> none;
  held.on_message("TAKE 99", none, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "HELD 99 4242 7 123456 running");
  ASSERT_EQ(out[0].fds.size(), 2u);
  EXPECT_NE(out[0].fds[0], kept[0]);  // duplicates: the master keeps its own
  EXPECT_EQ(out[1].text, "TAKEN 99");
  for (auto& m : out)
    for (int fd : m.fds) close(fd);
  out.clear();

  ASSERT_TRUE(held.reaped(4242, 9));
  EXPECT_FALSE(held.reaped(5555, 0));  // not a held job
  held.on_message("TAKE 100", none, out);
  EXPECT_EQ(out[0].text, "HELD 100 4242 7 123456 exited 9");
  for (auto& m : out)
    for (int fd : m.fds) close(fd);

  held.on_message("RELEASE 4242", none, out);
  EXPECT_EQ(held.size(), 0u);
  EXPECT_FALSE(fd_open(kept[0]));
  EXPECT_FALSE(fd_open(kept[1]));
  for (int fd : writes) close(fd);
}

TEST(HeldJobs, AReusedPidReplacesTheStaleEntry) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> w1, w2;
  std::vector<int> first = two_pipes_read_ends(w1), first_copy = first;
  std::vector<int> second = two_pipes_read_ends(w2);
  held.on_message("HOLD 10 1 1", first, out);
  held.on_message("HOLD 10 2 2", second, out);
  EXPECT_EQ(held.size(), 1u);
  EXPECT_FALSE(fd_open(first_copy[0]));  // the stale entry's fds were closed
  for (int fd : w1) close(fd);
  for (int fd : w2) close(fd);
}

}  // namespace
}  // namespace backend::master
