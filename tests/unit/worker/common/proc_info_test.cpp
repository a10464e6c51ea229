#include "worker/common/proc_info.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace backend::worker {
namespace {

TEST(ProcInfo, StartTicksNameOneProcessAndAZombieIsTold) {
  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(go[1]);
    char c;
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  close(go[0]);
  auto ticks = start_ticks(pid);
  ASSERT_TRUE(ticks);
  EXPECT_EQ(start_ticks(pid), ticks) << "the same process, the same start";
  EXPECT_GE(*ticks, *start_ticks(getpid()));
  EXPECT_TRUE(same_process(pid, *ticks));
  EXPECT_FALSE(same_process(pid, *ticks + 1)) << "another start time is another process";
  EXPECT_FALSE(same_process(pid, 0)) << "no recorded start time matches nothing";
  EXPECT_FALSE(is_zombie(pid));
  EXPECT_TRUE(rss_kb(pid));

  close(go[1]);  // the child exits, and is not reaped yet
  bool zombie = false;
  for (int i = 0; i < 200 && !(zombie = is_zombie(pid)); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(zombie);
  waitpid(pid, nullptr, 0);
  EXPECT_FALSE(is_zombie(pid));
  EXPECT_FALSE(start_ticks(pid));
}

// rss_kb reads statm: what status says as VmRSS, to the page.
TEST(ProcInfo, ResidentMemoryIsWhatStatusCallsVmRSS) {
  std::vector<char> touched(8 << 20, 1);  // resident, so that a wrong field or unit shows
  long status_kb = -1;
  {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("VmRSS:", 0) == 0) status_kb = std::stol(line.substr(6));
  }
  auto kb = rss_kb(getpid());
  ASSERT_TRUE(kb);
  EXPECT_NEAR(double(*kb), double(status_kb), 256) << "touched " << touched[touched.size() / 2];
  EXPECT_GT(*kb, 8 * 1024);
  EXPECT_FALSE(rss_kb(-1)) << "no such process";
}

TEST(ProcInfo, UsageCountsMemoryAndTheCpuTimeSpent) {
  auto before = proc_usage(getpid());
  ASSERT_TRUE(before);
  EXPECT_GT(before->rss_bytes, 1u << 20);
  EXPECT_NEAR(double(before->rss_bytes) / 1024, double(*rss_kb(getpid())), 4096) << "stat's rss and statm's";
  // Half a second of work shows, in clock ticks. Half a second of CPU, as
  // the thread's own clock counts it, not of wall time: on a loaded machine
  // half a second of wall time can be a fraction of that on the CPU.
  auto cpu_now = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
  };
  const double from = cpu_now();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  volatile uint64_t spin = 0;
  while (cpu_now() - from < 0.5 && std::chrono::steady_clock::now() < give_up) spin = spin + 1;
  auto after = proc_usage(getpid());
  ASSERT_TRUE(after);
  EXPECT_GE(after->cpu_seconds - before->cpu_seconds, 0.3);
  EXPECT_FALSE(proc_usage(0));
}

void on_signal(int) {}

// What a spawned child must set back to default: the ignored signals and
// the caught ones, and no other; read again from the same open file, as
// the spawner reads it, each read tells what is so now.
TEST(ProcInfo, NonDefaultSignalsAreTheIgnoredAndTheCaughtOnes) {
  struct sigaction ign {}, handled {}, dfl {}, old_usr2 {}, old_urg {}, old_winch {};
  ign.sa_handler = SIG_IGN;
  handled.sa_handler = on_signal;
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGUSR2, &dfl, &old_usr2);
  sigaction(SIGURG, &dfl, &old_urg);
  sigaction(SIGWINCH, &dfl, &old_winch);
  int stat_fd = open_proc(getpid(), "stat");
  ASSERT_GE(stat_fd, 0);
  uint64_t before = non_default_signals(stat_fd);
  sigaction(SIGUSR2, &ign, nullptr);
  sigaction(SIGURG, &handled, nullptr);
  uint64_t set = non_default_signals(stat_fd);
  close(stat_fd);
  sigaction(SIGUSR2, &old_usr2, nullptr);
  sigaction(SIGURG, &old_urg, nullptr);
  sigaction(SIGWINCH, &old_winch, nullptr);
  auto bit = [](int s) { return uint64_t(1) << (s - 1); };
  EXPECT_EQ(before & (bit(SIGUSR2) | bit(SIGURG)), 0u);
  EXPECT_NE(set & bit(SIGUSR2), 0u);
  EXPECT_NE(set & bit(SIGURG), 0u);
  EXPECT_EQ(set & bit(SIGWINCH), 0u);
  EXPECT_NE(set, ~uint64_t(0));
}

// A file that is not a stat file tells nothing: every signal is reset.
TEST(ProcInfo, NonDefaultSignalsAreAllOfThemWhenTheFileCannotTell) {
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null, 0);
  EXPECT_EQ(non_default_signals(null), ~uint64_t(0));
  close(null);
  EXPECT_EQ(non_default_signals(-1), ~uint64_t(0));
}

}  // namespace
}  // namespace backend::worker
