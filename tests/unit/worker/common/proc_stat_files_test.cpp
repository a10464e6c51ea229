#include "worker/common/proc_stat_files.h"

#include <dirent.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace backend::worker {
namespace {

// A child that lives until it is killed (a pipe would be inherited by the
// next child and keep this one alive).
struct Child {
  pid_t pid = -1;
  bool alive = true;
  Child() {
    pid = fork();
    if (pid == 0) {
      for (;;) pause();
    }
  }
  void end() {
    if (!alive) return;
    alive = false;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  ~Child() { end(); }
};

size_t open_fds() {
  size_t n = 0;
  DIR *d = opendir("/proc/self/fd");
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

TEST(ProcStatFiles, ReadsAsProcUsageDoesAndKeepsTheFileOpen) {
  ProcStatFiles files(16);
  auto usage = files.usage(getpid());
  ASSERT_TRUE(usage);
  auto fresh = proc_usage(getpid());
  ASSERT_TRUE(fresh);
  EXPECT_NEAR(double(usage->rss_bytes), double(fresh->rss_bytes), 1 << 20);
  EXPECT_EQ(files.open_files(), 1u);
  size_t fds = open_fds();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(files.usage(getpid()));
  EXPECT_EQ(open_fds(), fds) << "read again through the file it keeps";
  EXPECT_FALSE(files.usage(0));
  EXPECT_FALSE(files.usage(-1));
}

TEST(ProcStatFiles, AnEndedProcessReadsAsGoneThoughItsFileWasOpen) {
  ProcStatFiles files(16);
  Child child;
  ASSERT_TRUE(files.usage(child.pid));
  child.end();
  EXPECT_FALSE(files.usage(child.pid)) << "no stale numbers of a process that is gone";
  EXPECT_EQ(files.open_files(), 0u);
}

TEST(ProcStatFiles, SweepClosesTheFilesOfProcessesNoLongerAskedFor) {
  size_t before = open_fds();
  {
    ProcStatFiles files(16);
    Child a, b;
    ASSERT_TRUE(files.usage(a.pid));
    ASSERT_TRUE(files.usage(b.pid));
    files.sweep();
    EXPECT_EQ(files.open_files(), 2u) << "both were read since the last sweep";
    ASSERT_TRUE(files.usage(a.pid));
    files.sweep();
    EXPECT_EQ(files.open_files(), 1u);
    files.sweep();
    EXPECT_EQ(files.open_files(), 0u);
    ASSERT_TRUE(files.usage(b.pid));
    a.end();
    b.end();
  }
  EXPECT_EQ(open_fds(), before) << "the destructor closes what is left";
}

TEST(ProcStatFiles, PastItsLimitItReadsWithoutKeeping) {
  ProcStatFiles files(1);
  Child a, b;
  EXPECT_TRUE(files.usage(a.pid));
  EXPECT_TRUE(files.usage(b.pid));
  EXPECT_TRUE(files.usage(b.pid));
  EXPECT_EQ(files.open_files(), 1u);
}

}  // namespace
}  // namespace backend::worker
