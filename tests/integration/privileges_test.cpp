// Least privilege: started as root, the listener serves as listener_user
// (default nobody) once its socket is bound, and everything it serves
// still works: queries, commands forwarded to the supervisor, the auth
// plugin's users file, the log explorer, the server log, a respawn.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/job_script.h"
#include "tests/support/server_fixture.h"

namespace itest {
namespace {

// "Uid:", "Gid:", "Groups:", "CapEff:" of /proc/PID/status, as written there.
std::string status_field(pid_t pid, const std::string& key) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!text) return "<gone>";
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) {
      size_t at = line.find_first_not_of(" \t", key.size() + 1);
      size_t end = line.find_last_not_of(" \t");
      return at == std::string::npos ? "" : line.substr(at, end + 1 - at);
    }
  return "<missing>";
}

std::string four(unsigned id) {
  std::string n = std::to_string(id);
  return n + "\t" + n + "\t" + n + "\t" + n;
}

uid_t owner_of(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

class Privileges : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "only a server started as root has privileges to drop";
    passwd* pw = getpwnam("nobody");
    ASSERT_NE(pw, nullptr) << "no user nobody on this system";
    nobody_uid = pw->pw_uid;
    nobody_gid = pw->pw_gid;
  }

  void expect_nobody(pid_t listener) {
    EXPECT_EQ(status_field(listener, "Uid"), four(nobody_uid));
    EXPECT_EQ(status_field(listener, "Gid"), four(nobody_gid));
    EXPECT_EQ(status_field(listener, "Groups"), std::to_string(nobody_gid));
    EXPECT_EQ(status_field(listener, "CapEff"), "0000000000000000");
    EXPECT_EQ(status_field(listener, "CapPrm"), "0000000000000000");
  }

  Server s;
  uid_t nobody_uid = 0;
  gid_t nobody_gid = 0;
};

TEST_F(Privileges, TheListenerServesAsNobodyAndEverythingItServesStillWorks) {
  struct stat st {};
  ASSERT_EQ(stat(s.dir.c_str(), &st), 0);
  ASSERT_EQ(st.st_mode & 077, 0u) << "the folder above the data folder is closed to nobody: the point of the test";
  ASSERT_TRUE(s.start());
  pid_t listener = s.listener_pid();
  ASSERT_GT(listener, 0);
  expect_nobody(listener);
  EXPECT_EQ(status_field(s.master_pid(), "Uid"), four(0));
  EXPECT_EQ(status_field(s.supervisor_pid(), "Uid"), four(0)) << "jobs run as their own user: root starts them";

  auto chatty = write_script(s, "chatty", "i=0\nwhile :; do i=$((i+1)); echo \"line $i\"; sleep 0.05; done\n");
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"chatty","writelog":true,"command":")" + chatty.path + "\"}")));
  ASSERT_TRUE(ok(s.request("START", R"({"jobname":"chatty"})")));
  EXPECT_TRUE(wait_until([&] { return raw_of(s.request("READ", R"({"jobname":"chatty"})")).find("line 2") != std::string::npos; }, 3000));
  auto mem = s.request("MEM", R"({"jobname":"chatty"})");
  EXPECT_TRUE(ok(mem) && mem->data().IsInt64() && mem->data().GetInt64() > 0)
      << "root's job's memory, read by nobody: " << raw_of(mem);
  auto days = s.request("LOGEXPLORER.LISTDIR", R"({"jobname":"chatty"})");
  EXPECT_TRUE(wait_until([&] {
    days = s.request("LOGEXPLORER.LISTDIR", R"({"jobname":"chatty"})");
    return ok(days) && days->data().IsArray() && days->data().Size() == 1;
  }, 3000)) << "root's job logs cannot be read by the listener: " << raw_of(days);

  // The users file is written by the supervisor: root's, readable by the
  // listener's group, so that no other process of nobody's can change it.
  auto added = s.request("AUTH.ADD", R"({"username":"admin","password":"secret","privileges":"*"})");
  EXPECT_TRUE(ok(added)) << raw_of(added);
  const std::string users = s.data_dir + "/plugins/auth/users.json";
  struct stat file {};
  ASSERT_EQ(stat(users.c_str(), &file), 0);
  EXPECT_EQ(file.st_uid, 0u);
  EXPECT_EQ(file.st_gid, nobody_gid);
  EXPECT_EQ(file.st_mode & 07777, 0640u);
  EXPECT_EQ(owner_of(s.data_dir + "/plugins/auth"), 0u) << "the listener was given its plugin's folder";
  ASSERT_TRUE(ok(s.request("AUTH.SETENABLE", R"({"enable":true,"auth":{"username":"admin","password":"secret"}})")));
  const std::string admin = R"("auth":{"username":"admin","password":"secret"})";

  // A command refused in the listener is logged by it, through the master.
  auto bad = s.request("ADD", R"({"jobname":"bad name!","command":"/bin/true",)" + admin + "}");
  EXPECT_EQ(code_of(bad), "FAILED");
  EXPECT_TRUE(s.wait_for_log("bad name!")) << s.log_text();
  EXPECT_EQ(s.log_text().find("cannot"), std::string::npos) << s.log_text();

  // A respawned listener drops again, and a rotated log is reopened by the
  // master, which writes the listener's lines.
  ASSERT_EQ(kill(listener, SIGKILL), 0);
  pid_t next = 0;
  ASSERT_TRUE(wait_until([&] {
    return (next = s.listener_pid()) > 0 && next != listener && ok(s.request("STATUSALL", "{" + admin + "}"));
  }, 5000)) << "the new listener cannot read the users file";
  expect_nobody(next);
  EXPECT_EQ(code_of(s.request("STATUSALL")), "DENIED") << "the new listener lost the users";
  s.signal(SIGUSR1);
  ASSERT_TRUE(s.wait_for_log("log files reopened"));
  auto refused = s.request("STOP", R"({"jobname":"no-such-job",)" + admin + "}");
  EXPECT_EQ(code_of(refused), "FAILED");
  EXPECT_TRUE(ok(s.request("STOP", R"({"jobname":"chatty",)" + admin + "}")));
  EXPECT_TRUE(s.wait_for_log("STOP {\"jobname\":\"chatty\"}")) << s.log_text();
}

// The supervisor stays root so that each job runs as its own user.
TEST_F(Privileges, AJobRunsAsItsUserAndWithoutOneAsTheServer) {
  ASSERT_EQ(chmod(s.dir.c_str(), 0755), 0) << "the job's script must be reachable by nobody";
  ASSERT_TRUE(s.start());
  auto who = write_script(s, "who", "echo \"ids $(id -u) $(id -g) $(id -G)\"\n" + std::string(kIdle));
  for (const char* user : {"nobody", ""}) {
    std::string name = std::string("as-") + (*user ? user : "server");
    auto added = s.request("ADD", R"({"jobname":")" + name + R"(","command":")" + who.path + R"(","user":")" + user + "\"}");
    ASSERT_TRUE(ok(added)) << raw_of(added);
    ASSERT_TRUE(ok(s.request("START", R"({"jobname":")" + name + "\"}")));
  }
  std::string as_nobody = "ids " + std::to_string(nobody_uid) + " " + std::to_string(nobody_gid) + " " +
                          std::to_string(nobody_gid);
  auto read = [&](const char* job) { return raw_of(s.request("READ", std::string(R"({"jobname":")") + job + "\"}")); };
  EXPECT_TRUE(wait_until([&] { return read("as-nobody").find(as_nobody) != std::string::npos; }, 3000))
      << read("as-nobody");
  EXPECT_TRUE(wait_until([&] { return read("as-server").find("ids 0 0 0") != std::string::npos; }, 3000))
      << read("as-server");
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"as-ghost","command":")" + who.path + R"(","user":"no-such-user-here"})")));
  auto ghost = s.request("START", R"({"jobname":"as-ghost"})");
  EXPECT_EQ(code_of(ghost), "FAILED");
  EXPECT_NE(raw_of(ghost).find("user \\\"no-such-user-here\\\" does not exist"), std::string::npos) << raw_of(ghost);
}

TEST_F(Privileges, AnEmptyListenerUserKeepsTheListenerRoot) {
  s.set("listener_user", "\"\"");
  ASSERT_TRUE(s.start());
  EXPECT_EQ(status_field(s.listener_pid(), "Uid"), four(0));
  EXPECT_EQ(owner_of(s.data_dir + "/plugins/auth"), 0u);
}

TEST_F(Privileges, AnUnknownUserStopsTheStartWithTheReason) {
  s.set("listener_user", "\"no-such-user-here\"");
  s.write_config();
  CommandResult r = run_command({server_bin(), "-c", s.config_path}, 10000);
  EXPECT_TRUE(r.exited() && r.exit_code() == 1) << r.describe();
  EXPECT_NE(r.err.find("listener_user: there is no user \"no-such-user-here\""), std::string::npos) << r.err;
  EXPECT_FALSE(port_accepts(s.port));
}

TEST_F(Privileges, ADataFolderTheUserMayNotEnterStopsTheStartWithTheRemedy) {
  ASSERT_EQ(mkdir(s.data_dir.c_str(), 0700), 0);
  s.write_config();
  CommandResult r = run_command({server_bin(), "-c", s.config_path}, 10000);
  EXPECT_TRUE(r.exited() && r.exit_code() == 1) << r.describe();
  EXPECT_NE(r.err.find("user nobody may not enter " + s.data_dir + " (mode 0700)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("listener_user to \"\""), std::string::npos) << r.err;

  // A folder inside it made 0700 (a umask of 077, an operator's chmod).
  ASSERT_EQ(chmod(s.data_dir.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((s.data_dir + "/log").c_str(), 0700), 0);
  r = run_command({server_bin(), "-c", s.config_path}, 10000);
  EXPECT_TRUE(r.exited() && r.exit_code() == 1) << r.describe();
  EXPECT_NE(r.err.find("user nobody may not enter " + s.data_dir + "/log (mode 0700)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace itest
