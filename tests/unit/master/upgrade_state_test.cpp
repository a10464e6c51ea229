// The message an old master hands the binary it execs in its place: what it
// says comes back as it was said, through the memfd; a message of another
// version, or broken, is refused with the reason.
#include "master/upgrade_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace backend::master {
namespace {

UpgradeState sample() {
  UpgradeState s;
  s.from_version = "0.1.0";
  s.pidfile_fd = 3;
  s.listen_fd = 4;
  s.http_fd = 5;
  s.unix_fd = -1;
  s.unix_inode = 1234567890123ull;
  s.held.push_back({4242, 7, 998877665544ull, {9, 10}, false, 0, ""});
  s.held.push_back({4343, 0, 1, {}, true, 256, "left-by-a-crash"});
  return s;
}

TEST(UpgradeState, WhatIsEncodedIsDecodedTheSame) {
  UpgradeState back;
  ASSERT_EQ(decode_upgrade_state(encode_upgrade_state(sample()), back), std::nullopt);
  EXPECT_EQ(back, sample());
}

TEST(UpgradeState, NamesEveryFdToKeep) {
  std::vector<int> fds = sample().fds();
  EXPECT_EQ(fds, (std::vector<int>{3, 4, 5, 9, 10}));
}

TEST(UpgradeState, TravelsThroughAFileTheExecKeeps) {
  std::string error;
  int fd = upgrade_state_file(sample(), error);
  ASSERT_GE(fd, 0) << error;
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "the exec would close it";
  UpgradeState back;
  ASSERT_EQ(read_upgrade_state(fd, back), std::nullopt);
  EXPECT_EQ(back, sample());
  EXPECT_EQ(fcntl(fd, F_GETFD), -1) << "read_upgrade_state closes it";
}

TEST(UpgradeState, AnotherVersionIsRefusedWithBothVersions) {
  std::string text = encode_upgrade_state(sample());
  text.replace(text.find("\"version\":1"), 11, "\"version\":9");
  UpgradeState back;
  auto err = decode_upgrade_state(text, back);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("version 9"), std::string::npos) << *err;
  EXPECT_NE(err->find("version 1"), std::string::npos) << *err;
}

TEST(UpgradeState, BrokenStatesAreRefusedAndLeaveTheOutputAlone) {
  UpgradeState back = sample();
  for (std::string_view text : {"", "[]", "{", R"({"version":1})",
                                R"({"version":1,"from_version":"x","pidfile_fd":3,"listen_fd":4,"http_fd":-1,)"
                                R"("unix_fd":-1,"unix_inode":0,"held":[{"pid":1,"slot":0,"ticks":0,"fds":[-3],)"
                                R"("exited":false,"status":0,"orphan":""}]})",
                                R"({"version":1,"from_version":"x","pidfile_fd":-1,"listen_fd":4,"http_fd":-1,)"
                                R"("unix_fd":-1,"unix_inode":0,"held":[]})"}) {
    auto err = decode_upgrade_state(text, back);
    EXPECT_TRUE(err) << text;
    EXPECT_EQ(back, sample()) << text;
  }
}

}  // namespace
}  // namespace backend::master
