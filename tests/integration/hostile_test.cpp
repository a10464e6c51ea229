// Hostile input against a real server: it answers with an error sentence,
// serves on, and keeps what it stored.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/job_script.h"
#include "tests/support/server_fixture.h"

namespace itest {
namespace {

TEST(Hostile, FramesOfEverySizeAroundTheLimitAreServedOrRefused) {
  Server s;
  s.set("max_frame_bytes", "2048");
  ASSERT_TRUE(s.start());
  pid_t listener = s.listener_pid();
  for (size_t n = 2040; n <= 2056; ++n) {
    WireClient c;
    ASSERT_TRUE(c.connect(s.port));
    ASSERT_TRUE(c.send_frame(statusall_of_size(n)));
    Reply r = next_reply(c);
    if (n <= 2048) {
      EXPECT_EQ(r.code(), "OK") << n << ": " << r.raw;
    } else {
      EXPECT_EQ(r.code(), "FAILED") << n << ": " << r.raw;
      EXPECT_NE(r.error().find(std::to_string(n)), std::string::npos) << r.raw;
      EXPECT_TRUE(c.wait_closed(2000)) << n << ": the connection stayed open after the refusal";
    }
  }
  EXPECT_EQ(s.listener_pid(), listener) << "the listener died on the way";
  EXPECT_TRUE(ok(s.request("STATUSALL")));
}

// Parsed iteratively: a million brackets cost no stack, and are refused.
TEST(Hostile, DeeplyNestedParamsAreFailedAndNothingCrashes) {
  Server s;
  ASSERT_TRUE(s.start());
  pid_t listener = s.listener_pid(), supervisor = s.supervisor_pid();
  for (const char* command : {"STATUS", "ADD"}) {
    std::string params = R"({"jobname":"deep","command":"/bin/true","x":)" + std::string(1000000, '[') +
                         std::string(1000000, ']') + "}";
    auto r = s.request(command, params, 20000);
    ASSERT_TRUE(r) << command << ": no reply";
    EXPECT_EQ(r->code(), "FAILED") << r->raw.substr(0, 200);
    EXPECT_FALSE(r->error().empty());
  }
  // Just deep enough is fine: PHP's json_decode limit of 512 levels.
  std::string nested = std::string(500, '[') + std::string(500, ']');
  EXPECT_TRUE(ok(s.request("ADD", R"({"jobname":"deep","command":"/bin/true","x":)" + nested + "}")));
  EXPECT_EQ(s.listener_pid(), listener);
  EXPECT_EQ(s.supervisor_pid(), supervisor);
  auto got = s.request("GET", R"({"jobname":"deep"})");
  ASSERT_TRUE(ok(got)) << raw_of(got);
  EXPECT_TRUE(got->data()["x"].IsArray());
}

TEST(Hostile, InvalidUtf8InNamesAndValuesIsFailedAndNothingIsStored) {
  Server s;
  ASSERT_TRUE(s.start());
  for (const std::string& params : {std::string(R"({"jobname":"bad)") + "\xff" + R"(","command":"/bin/true"})",
                                    std::string(R"({"jobname":"ok","command":"/bin/)") + "\xc3\x28" + R"("})",
                                    std::string(R"({"jobname":"ok","command":"/bin/true","params":")") +
                                        "\xed\xa0\x80" + R"("})",
                                    std::string(R"({"jobname":"ok","command":"/bin/true","env":{")") + "\xc0\xaf" +
                                        R"(":"x"}})"}) {
    auto r = s.request("ADD", params);
    ASSERT_TRUE(r) << "no reply";
    EXPECT_EQ(r->code(), "FAILED") << r->raw;
    EXPECT_FALSE(r->error().empty()) << r->raw;
    auto parsed = parse_json(r->raw);
    EXPECT_TRUE(parsed) << "the reply itself is not valid JSON: " << r->raw;
  }
  auto all = s.request("GETALL");
  ASSERT_TRUE(ok(all));
  EXPECT_EQ(all->data().MemberCount(), 0u) << all->raw;
}

// 100,000 ADDs, pipelined, at a table of 64: the first 64 are stored, every
// other one is FAILED with the reason, and the 64 survive a restart whole.
TEST(Hostile, AHundredThousandAddsFillTheTableAndNothingIsCorrupt) {
  Server s;
  s.set("job_capacity", "64");
  ASSERT_TRUE(s.start());
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  const int total = 100000, batch = 500;
  int oks = 0, full = 0, other = 0;
  std::string first_other;
  for (int sent = 0; sent < total; sent += batch) {
    std::string bytes;
    for (int i = sent; i < sent + batch; ++i)
      bytes += encode_frame(
          request_payload("ADD", R"({"jobname":"j)" + std::to_string(i) + R"(","command":"/bin/true"})"));
    ASSERT_TRUE(c.send_raw(bytes));
    for (int i = 0; i < batch; ++i) {
      Reply r = next_reply(c);
      if (r.ok()) ++oks;
      else if (r.code() == "FAILED" && r.error().find("full") != std::string::npos) ++full;
      else if (++other == 1) first_other = r.raw;
    }
  }
  EXPECT_EQ(oks, 64);
  EXPECT_EQ(full, total - 64);
  EXPECT_EQ(other, 0) << first_other;
  auto all = s.request("GETALL");
  ASSERT_TRUE(ok(all));
  EXPECT_EQ(all->data().MemberCount(), 64u);
  ASSERT_TRUE(s.stop());
  auto saved = read_file(s.jobs_file);
  ASSERT_TRUE(saved);
  auto doc = parse_json(*saved);
  ASSERT_TRUE(doc) << "the settings file does not parse";
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(s.wait_for_job("j63"));
  all = s.request("GETALL");
  ASSERT_TRUE(ok(all));
  EXPECT_EQ(all->data().MemberCount(), 64u);
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(all->data().HasMember(("j" + std::to_string(i)).c_str())) << i;
}

// CPU seconds (user + system) a process has used, from /proc/PID/stat.
double cpu_seconds(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return -1;
  std::istringstream in(text->substr(text->rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

size_t fd_count(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

// 10,000 clients that connect and say nothing: the server (which raised
// its fd limit at start) holds them all, serves a new client at once, does
// not spin meanwhile, and gives every fd back when they go.
TEST(Hostile, TenThousandIdleConnectionsAreHeldWithoutSpinning) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  ASSERT_GE(lim.rlim_max, 10200u) << "this test needs room for 10,000 sockets of its own";
  rlimit raised = lim;
  raised.rlim_cur = lim.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &raised), 0);
  Server s;
  s.set("max_connections", "12000");
  ASSERT_TRUE(s.start());
  pid_t listener = s.listener_pid();
  // The fewest fds seen over a moment: one the listener opens and closes
  // now and then (a file it reads) is not its own. Counted once, such an
  // fd made the count of 10,000 look one short (10,014 seen, 15 before).
  size_t fds_before = SIZE_MAX;
  for (int i = 0; i < 10; ++i) {
    fds_before = std::min(fds_before, fd_count(listener));
    usleep(20000);
  }
  std::vector<std::unique_ptr<WireClient>> idle;
  for (int i = 0; i < 10000; ++i) {
    idle.push_back(std::make_unique<WireClient>());
    ASSERT_TRUE(idle.back()->connect(s.port)) << "connection " << i;
  }
  ASSERT_TRUE(wait_until([&] { return fd_count(listener) >= fds_before + 10000; }, 10000))
      << fd_count(listener) << " fds, " << fds_before << " before";
  double cpu0 = cpu_seconds(listener);
  usleep(2000000);
  double busy = cpu_seconds(listener) - cpu0;
  EXPECT_LT(busy, 0.2) << "the listener spent " << busy << " s of CPU in 2 s with 10,000 idle clients";
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(ok(s.request("STATUSALL")));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  idle.clear();
  EXPECT_TRUE(wait_until([&] { return fd_count(listener) == fds_before; }, 10000))
      << fd_count(listener) << " fds left, " << fds_before << " before";
  EXPECT_EQ(s.listener_pid(), listener);
  setrlimit(RLIMIT_NOFILE, &lim);
}

// A small tmpfs on `path` for one test, unmounted when it goes (declare it
// after the Server, so that the server stops first). Mounting needs root.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, const char* size, unsigned long flags = 0) : path_(path) {
    mkdir(path.c_str(), 0755);
    mounted_ = mount("tmpfs", path.c_str(), "tmpfs", flags, (std::string("size=") + size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Bytes of every file under dir.
uintmax_t bytes_under(const std::string& dir) {
  std::error_code ec;
  uintmax_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

// Writes to path until the file system is full; true when it is.
bool fill_up(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::string chunk(64 * 1024, 'x');
  ssize_t n;
  while ((n = write(fd, chunk.data(), chunk.size())) > 0) {
  }
  bool full = n < 0 && errno == ENOSPC;
  close(fd);
  return full;
}

TEST(Hostile, PastTheFdLimitConnectionsAreRefusedWithAReasonNotDropped) {
  // The server inherits a limit of 256 fds that it cannot raise; its
  // max_connections (4096) is far above what that allows.
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low{256, 256};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  Server s;
  auto started = s.start();
  setrlimit(RLIMIT_NOFILE, &saved);  // as root; otherwise this process keeps 256
  ASSERT_TRUE(started);
  pid_t listener = s.listener_pid();
  std::vector<std::unique_ptr<WireClient>> clients;
  int served = 0, refused = 0, other = 0;
  for (int i = 0; i < 220; ++i) {
    auto c = std::make_unique<WireClient>();
    ASSERT_TRUE(c->connect(s.port)) << i;
    auto r = c->request("STATUSALL");
    if (ok(r)) ++served;
    else if (code_of(r) == "FAILED" && r->error().find("fd limit") != std::string::npos) ++refused;
    else ADD_FAILURE() << i << ": " << raw_of(r), ++other;
    clients.push_back(std::move(c));
  }
  EXPECT_EQ(served, 256 - 64 - 256 / 4)
      << "the fd limit less the listener's own reserve and the quarter kept for /metrics' /proc files";
  EXPECT_EQ(refused, 220 - served);
  EXPECT_EQ(other, 0);
  clients.clear();
  EXPECT_TRUE(wait_until([&] { return ok(s.request("STATUSALL", {}, 500)); }, 3000));
  EXPECT_EQ(s.listener_pid(), listener) << "the listener died on the way";
}

TEST(Hostile, ADataFolderThatIsReadOnlyAtStartStopsTheStartWithAClearMessage) {
  if (geteuid() != 0) GTEST_SKIP() << "a read-only mount needs root (root ignores file modes)";
  Server s;
  TmpfsMount ro(s.data_dir, "1m", MS_RDONLY);
  ASSERT_TRUE(ro.mounted()) << ro.error();
  s.write_config();
  CommandResult r = run_command({server_bin(), "-c", s.config_path}, 10000);
  EXPECT_TRUE(r.exited() && r.exit_code() != 0) << r.describe();
  EXPECT_NE(r.err.find("data folder " + s.data_dir + " is not writable"), std::string::npos) << r.err;
  EXPECT_FALSE(shm_exists(s.shm_name));
  EXPECT_FALSE(port_accepts(s.port));
}

TEST(Hostile, ADiskThatFillsUpFailsTheWritesKeepsTheSettingsAndLoggingResumes) {
  if (geteuid() != 0) GTEST_SKIP() << "a small file system of its own needs root to mount";
  Server s;
  TmpfsMount small(s.data_dir, "8m");
  ASSERT_TRUE(small.mounted()) << small.error();
  ASSERT_TRUE(s.start());
  pid_t listener = s.listener_pid(), supervisor = s.supervisor_pid();
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"kept","command":"/bin/true"})")));
  // 20 kB/s: a full disk fails its log within a page's worth of lines.
  auto chatty = write_script(s, "chatty", "pad=$(printf '%200s' '')\ni=0\n"
                                          "while :; do i=$((i+1)); echo \"line $i $pad\"; sleep 0.01; done\n");
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"chatty","writelog":true,"command":")" + chatty.path + "\"}")));
  ASSERT_TRUE(ok(s.request("START", R"({"jobname":"chatty"})")));
  const std::string logs = s.data_dir + "/log/jobs/chatty";
  ASSERT_TRUE(wait_until([&] { return bytes_under(logs) > 0; }, 3000)) << "the job's log was never written";

  ASSERT_TRUE(fill_up(s.data_dir + "/filler"));
  auto refused = s.request("ADD", R"({"jobname":"refused","command":"/bin/true"})");
  EXPECT_EQ(code_of(refused), "FAILED") << raw_of(refused);
  EXPECT_NE(raw_of(refused).find(std::strerror(ENOSPC)), std::string::npos)
      << "the reason is not given: " << raw_of(refused);
  auto saved = parse_json(read_file(s.jobs_file).value_or(""));
  ASSERT_TRUE(saved) << "the settings file is no longer whole";
  EXPECT_TRUE(saved->HasMember("kept"));
  EXPECT_TRUE(saved->HasMember("chatty"));
  EXPECT_FALSE(saved->HasMember("refused"));
  EXPECT_EQ(code_of(s.request("GET", R"({"jobname":"refused"})")), "FAILED") << "a refused job is served";
  auto server_says = [&](const std::string& needle) {
    auto r = s.request("SERVERREAD");
    return ok(r) && r->has_data() && r->data().IsString() &&
           std::string(r->data().GetString()).find(needle) != std::string::npos;
  };
  EXPECT_TRUE(wait_until([&] { return server_says("cannot write log file " + logs); }, 5000))
      << "the job printed into a full disk and nobody said so";
  EXPECT_TRUE(ok(s.request("STATUSALL")));
  EXPECT_EQ(s.listener_pid(), listener);
  EXPECT_EQ(s.supervisor_pid(), supervisor);

  uintmax_t when_full = bytes_under(logs);
  ASSERT_EQ(unlink((s.data_dir + "/filler").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return bytes_under(logs) > when_full + 100; }, 5000))
      << "the job's log did not grow again once there was space";
  EXPECT_TRUE(wait_until([&] { return server_says("is written again"); }, 3000));
  EXPECT_TRUE(ok(s.request("ADD", R"({"jobname":"refused","command":"/bin/true"})")));
  // The server's own buffer tells the story once, not once per write.
  auto told = s.request("SERVERREAD");
  ASSERT_TRUE(ok(told) && told->has_data() && told->data().IsString()) << raw_of(told);
  std::string text = told->data().GetString();
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("cannot write log file " + logs), 1u) << text;
  EXPECT_EQ(count("is written again"), 1u) << text;
  saved = parse_json(read_file(s.jobs_file).value_or(""));
  ASSERT_TRUE(saved);
  EXPECT_TRUE(saved->HasMember("refused"));
  EXPECT_TRUE(s.stop());
}

}  // namespace
}  // namespace itest
