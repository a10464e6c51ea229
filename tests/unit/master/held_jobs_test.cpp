#include "master/held_jobs.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>

#include <chrono>
#include <unistd.h>

#include "tests/unit/master/child_writer.h"

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

// The messages as a supervisor sends them: encoded, as the tests read them.
worker::ControlMessage message(std::string_view text) {
  auto decoded = worker::decode_control(text);
  EXPECT_TRUE(decoded) << text;
  return decoded.value_or(worker::Release{1});
}

bool fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

// A pipe's write end reports POLLERR once no read end is open anywhere
// (fd numbers are reused too soon to tell by them).
bool has_reader(int write_fd) {
  pollfd p{write_fd, POLLOUT, 0};
  return poll(&p, 1, 0) >= 0 && !(p.revents & POLLERR);
}

TEST(HeldJobs, HoldsHandsBackAddressedAndReleases) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes);
  std::vector<int> kept = fds;
  held.on_message(message("HOLD 4242 7 123456"), fds, out);
  EXPECT_EQ(fds, (std::vector<int>{-1, -1}));  // taken over
  EXPECT_EQ(held.size(), 1u);
  EXPECT_TRUE(out.empty());

  std::vector<int> none;
  held.on_message(message("TAKE 99"), none, out);
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
  held.on_message(message("TAKE 100"), none, out);
  EXPECT_EQ(out[0].text, "HELD 100 4242 7 123456 exited 9");
  for (auto& m : out)
    for (int fd : m.fds) close(fd);

  held.on_message(message("RELEASE 4242"), none, out);
  EXPECT_EQ(held.size(), 0u);
  EXPECT_FALSE(fd_open(kept[0]));
  EXPECT_FALSE(fd_open(kept[1]));
  for (int fd : writes) close(fd);
}

// The supervisor reaped the job but still reads its pipes (a process the
// job left holds them): a successor must hear that it exited, and how.
TEST(HeldJobs, AnExitTheSupervisorReportsIsHandedBackWithTheJob) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes);
  held.on_message(message("HOLD 4242 7 123456"), fds, out);
  std::vector<int> none;
  held.on_message(message("EXIT 4242 15"), none, out);
  held.on_message(message("EXIT 5555 0"), none, out);  // not a held job: nothing
  EXPECT_EQ(held.size(), 1u) << "the pipes are kept until the supervisor releases them";
  held.on_message(message("TAKE 99"), none, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "HELD 99 4242 7 123456 exited 15");
  for (auto& m : out)
    for (int fd : m.fds) close(fd);
  for (int fd : writes) close(fd);
}

TEST(HeldJobs, OrphansOfAKilledServerAreHandedOverByNameUntilReleased) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> none;
  held.add_orphan({"quiet", 4242, 777, true});
  held.add_orphan({"chatty", 4343, 888, false});
  held.on_message(message("TAKE 99"), none, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].text, "ORPHAN 99 4242 777 running quiet");
  EXPECT_EQ(out[1].text, "ORPHAN 99 4343 888 gone chatty");
  EXPECT_TRUE(out[0].fds.empty());  // their output died with the old server
  EXPECT_EQ(out[2].text, "TAKEN 99");
  out.clear();

  // Each TAKE (a successor's, after a supervisor crash) hands them over
  // again, until the supervisor releases them.
  held.on_message(message("RELEASE 4343"), none, out);
  held.on_message(message("TAKE 100"), none, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "ORPHAN 100 4242 777 running quiet");
  held.on_message(message("RELEASE 4242"), none, out);
  EXPECT_EQ(held.size(), 0u);
}

TEST(HeldJobs, AReusedPidReplacesTheStaleEntry) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> w1, w2;
  std::vector<int> first = two_pipes_read_ends(w1), first_copy = first;
  std::vector<int> second = two_pipes_read_ends(w2);
  held.on_message(message("HOLD 10 1 1"), first, out);
  held.on_message(message("HOLD 10 2 2"), second, out);
  EXPECT_EQ(held.size(), 1u);
  EXPECT_FALSE(fd_open(first_copy[0]));  // the stale entry's fds were closed
  for (int fd : w1) close(fd);
  for (int fd : w2) close(fd);
}

// The pipes come first (PREPARE), the pid once the job runs (HOLD).
TEST(HeldJobs, PreparedPipesAreHeldByTheJobThatTakesThem) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes), kept = fds;
  held.on_message(message("PREPARE 5"), fds, out);
  EXPECT_EQ(fds, (std::vector<int>{-1, -1}));
  EXPECT_EQ(held.size(), 0u);
  std::vector<int> none;
  held.on_message(message("HOLD 777 5 99"), none, out);
  ASSERT_EQ(held.size(), 1u);
  held.on_message(message("TAKE 1"), none, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "HELD 1 777 5 99 running");
  EXPECT_EQ(out[0].fds.size(), 2u);
  for (auto& m : out)
    for (int fd : m.fds) close(fd);
  held.on_message(message("RELEASE 777"), none, out);
  EXPECT_FALSE(fd_open(kept[0]));
  for (int fd : writes) close(fd);
}

TEST(HeldJobs, AFailedSpawnGivesThePreparedPipesBack) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes), kept = fds;
  held.on_message(message("PREPARE 5"), fds, out);
  std::vector<int> none;
  held.on_message(message("UNPREPARE 5"), none, out);
  EXPECT_FALSE(fd_open(kept[0]));
  EXPECT_FALSE(fd_open(kept[1]));
  for (int fd : writes) close(fd);
}

// The supervisor died during the spawn: the job runs (or is about to), is
// our child, and nobody told its pid. The next supervisor's TAKE waits
// until the job writes to the lent pipes, then hands it over.
TEST(HeldJobs, ATakeWaitsForTheJobOfLentPipesAndHandsItOver) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes);
  held.on_message(message("PREPARE 3"), fds, out);
  std::vector<int> none;
  held.on_message(message("TAKE 8"), none, out);
  EXPECT_TRUE(held.take_waiting());
  EXPECT_TRUE(out.empty()) << "no answer while the job may still be on its way";
  testing::ChildWriter job(writes[0]);
  ASSERT_GT(job.pid, 0);
  held.retry_take(out);
  EXPECT_FALSE(held.take_waiting());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text.rfind("HELD 8 " + std::to_string(job.pid) + " 3 ", 0), 0u) << out[0].text;
  EXPECT_EQ(out[0].fds.size(), 2u);
  EXPECT_EQ(out[1].text, "TAKEN 8");
  for (auto& m : out)
    for (int fd : m.fds) close(fd);
  for (int fd : writes) close(fd);
}

// Pipes whose job never came (the supervisor died before the spawn) are
// closed once the grace period is over, and the TAKE is answered.
TEST(HeldJobs, LentPipesWithoutAJobAreClosedAfterTheGracePeriod) {
  HeldJobs held;
  std::deque<worker::Control::Outgoing> out;
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes);
  held.on_message(message("PREPARE 4"), fds, out);
  std::vector<int> none;
  auto t0 = std::chrono::steady_clock::now();
  held.on_message(message("TAKE 9"), none, out);
  while (held.take_waiting() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    usleep(HeldJobs::kRetryMs * 1000);
    held.retry_take(out);
  }
  EXPECT_FALSE(held.take_waiting());
  // Less a millisecond: the grace is counted in whole milliseconds.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(HeldJobs::kPreparedGraceMs - 1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, "TAKEN 9");
  EXPECT_FALSE(has_reader(writes[0])) << "the pipes of a job that never ran are closed";
  for (int fd : writes) close(fd);
}

// An upgrade in place: the old master hands every held job over, fds and
// all, and the new one (the same process after exec) holds them as before.
TEST(HeldJobs, HandedOverAndTakenOverTheJobsAreHeldAsBefore) {
  std::vector<int> writes;
  std::vector<int> fds = two_pipes_read_ends(writes);
  std::vector<int> kept = fds;
  std::deque<worker::Control::Outgoing> out;
  std::vector<UpgradeState::Held> handed;
  {
    HeldJobs old;
    old.on_message(message("HOLD 4242 7 123456"), fds, out);
    handed = old.hand_over();
    EXPECT_EQ(old.size(), 0u);
  }  // the old one closes nothing it handed over
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].pid, 4242);
  EXPECT_EQ(handed[0].slot, 7u);
  EXPECT_EQ(handed[0].ticks, 123456u);
  EXPECT_EQ(handed[0].fds, kept);
  for (int fd : kept) EXPECT_TRUE(fd_open(fd));
  for (int w : writes) EXPECT_TRUE(has_reader(w));

  HeldJobs next;
  next.take_over(std::move(handed));
  EXPECT_EQ(next.size(), 1u);
  std::vector<int> none;
  next.on_message(message("TAKE 99"), none, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "HELD 99 4242 7 123456 running");
  EXPECT_EQ(out[0].fds.size(), 2u);
  for (auto& m : out)
    for (int fd : m.fds) close(fd);
  for (int w : writes) close(w);
}

}  // namespace
}  // namespace backend::master
