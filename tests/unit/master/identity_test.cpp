#include "master/identity.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "tests/support/temp_dir.h"

namespace backend::master {
namespace {

using worker::resolve_identity;

using Tree = backend::testing::TempDir;

// In a child, since it cannot be undone.
TEST(Identity, BecomeGivesUpRootForGood) {
  if (geteuid() != 0) GTEST_SKIP() << "only root can become another user";
  Identity nobody;
  ASSERT_FALSE(resolve_identity("nobody", nobody));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (become(nobody)) _exit(1);
    if (getuid() != nobody.uid || geteuid() != nobody.uid || getgid() != nobody.gid) _exit(2);
    if (setuid(0) == 0 || setgid(0) == 0) _exit(3);
    if (access("/root", W_OK) == 0) _exit(4);
    gid_t groups[64];
    int n = getgroups(64, groups);
    for (int i = 0; i < n; ++i)
      if (groups[i] == 0) _exit(5);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: become failed, 2: ids, 3: root regained, 4: root's access, 5: group 0";
}

TEST(Identity, AFolderIsEnterableByItsOwnerGroupOrOthersAsItsModeSays) {
  Identity someone{"someone", 4242, 4243, {4243, 4244}};
  Tree t;
  struct Case {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    bool enterable;
  };
  uid_t me = geteuid();
  gid_t my_group = getegid();
  for (Case c : {Case{0755, me, my_group, true}, Case{0750, me, my_group, false}, Case{0700, me, my_group, false},
                 Case{0701, me, my_group, true}}) {
    ASSERT_EQ(chmod(t.path.c_str(), c.mode), 0);
    auto err = check_enterable(t.path, someone);
    EXPECT_EQ(!err, c.enterable) << std::oct << c.mode;
    if (err) {
      std::string mode = std::to_string(c.mode / 64) + std::to_string(c.mode / 8 % 8) + std::to_string(c.mode % 8);
      EXPECT_NE(err->find("(mode 0" + mode + ")"), std::string::npos) << *err;
    }
  }
  if (geteuid() != 0) return;
  ASSERT_EQ(chown(t.path.c_str(), 4242, 0), 0);
  ASSERT_EQ(chmod(t.path.c_str(), 0700), 0);
  EXPECT_FALSE(check_enterable(t.path, someone)) << "its owner";
  ASSERT_EQ(chown(t.path.c_str(), 0, 4244), 0);
  ASSERT_EQ(chmod(t.path.c_str(), 0710), 0);
  EXPECT_FALSE(check_enterable(t.path, someone)) << "one of its groups";
  ASSERT_EQ(chmod(t.path.c_str(), 0706), 0);
  EXPECT_TRUE(check_enterable(t.path, someone)) << "others' bits do not count for a member of the group";
  ASSERT_EQ(chown(t.path.c_str(), 0, 0), 0);
}

}  // namespace
}  // namespace backend::master
