#include "master/pidfile.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace backend::master {
namespace {

using backend::testing::TempDir;

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Pidfile, LockWriteRemove) {
  TempDir d;
  std::string path = d.path + "/s.pid";
  Pidfile p;
  ASSERT_FALSE(p.lock(path));
  ASSERT_FALSE(p.write(4321));
  EXPECT_EQ(slurp(path), "4321\n");
  p.remove();
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

TEST(Pidfile, ASecondHolderIsRefusedWithThePid) {
  TempDir d;
  std::string path = d.path + "/s.pid";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    Pidfile p;
    if (p.lock(path) || p.write(getpid())) _exit(1);
    char c = 1;
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  Pidfile second;
  auto err = second.lock(path);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("pid " + std::to_string(child)), std::string::npos) << *err;
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(second.lock(path)) << "a dead holder's pidfile is taken over";
}

TEST(Pidfile, AStalePidfileWithoutALockIsTakenOver) {
  TempDir d;
  std::string path = d.path + "/s.pid";
  std::ofstream(path) << "999999\n";
  Pidfile p;
  EXPECT_FALSE(p.lock(path));
  ASSERT_FALSE(p.write(getpid()));
  EXPECT_EQ(slurp(path), std::to_string(getpid()) + "\n");
}

}  // namespace
}  // namespace backend::master
