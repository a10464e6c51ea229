#include "shm/own_pid.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace backend::shm {
namespace {

TEST(OwnPid, IsThisProcessAndAForkedChildsOwn) {
  EXPECT_EQ(own_pid(), getpid());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // What a lock taken in the child would record as its holder.
    pid_t seen = own_pid();
    _exit(write(fds[1], &seen, sizeof seen) == sizeof seen ? 0 : 1);
  }
  close(fds[1]);
  pid_t seen = 0;
  EXPECT_EQ(read(fds[0], &seen, sizeof seen), ssize_t(sizeof seen));
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(seen, child);
  EXPECT_EQ(own_pid(), getpid());
}

}  // namespace
}  // namespace backend::shm
