#include "master/orphan_pipe.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/unit/master/child_writer.h"

namespace backend::master {
namespace {

TEST(OrphanPipe, FindsTheChildWritingToAPipeAndNoneForOthers) {
  int used[2], unused[2];
  ASSERT_EQ(pipe2(used, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(unused, O_CLOEXEC), 0);
  testing::ChildWriter child(used[1]);
  ASSERT_GT(child.pid, 0);
  EXPECT_EQ(child_writing_to(used[0]), child.pid);
  EXPECT_EQ(child_writing_to(unused[0]), 0);
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(child_writing_to(file), 0) << "not a pipe";
  EXPECT_EQ(child_writing_to(-1), 0);
  close(file);
  for (int fd : {used[0], used[1], unused[0], unused[1]}) close(fd);
}

}  // namespace
}  // namespace backend::master
