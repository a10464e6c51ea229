#include "worker/supervisor/job_spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <mutex>

#include "shm/own_pid.h"
#include "worker/common/proc_info.h"

namespace backend::worker {
namespace {

struct Pipe {
  int r = -1, w = -1;
  bool open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    r = fds[0];
    w = fds[1];
    return true;
  }
  void close_both() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
    r = w = -1;
  }
};

// In the child, between fork and exec: only async-signal-safe calls. Any
// failure writes its step and errno to the report pipe and exits.
[[noreturn]] void fail_child(int report, int step) {
  int msg[2] = {step, errno};
  (void)!write(report, msg, sizeof msg);
  _exit(127);
}

enum Step { kSession = 1, kStdio, kCwd, kGroups, kGid, kUid, kExec, kUnshare };

[[noreturn]] void child(const SpawnSpec& spec, char* const* argv, char* const* envp, int out_w, int err_w,
                        int report) {
  // The supervisor's handlers and mask are not the job's business.
  for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (setsid() < 0) fail_child(report, kSession);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) fail_child(report, kStdio);
  // Everything else is close-on-exec already; this also covers fds a
  // library may have opened without the flag. The report pipe stays usable
  // until exec succeeds.
  if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 4096; ++fd)
      if (fd != report) ::close(fd);
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) fail_child(report, kCwd);
  if (spec.gid) {
    if (setgroups(spec.groups.size(), spec.groups.data()) != 0) fail_child(report, kGroups);
    if (setgid(*spec.gid) != 0) fail_child(report, kGid);
  }
  if (spec.uid && setuid(*spec.uid) != 0) fail_child(report, kUid);
  execve(spec.program.c_str(), argv, envp);
  fail_child(report, kExec);
}

const char* step_name(int step) {
  switch (step) {
    case kSession: return "cannot start a session";
    case kStdio: return "cannot set up stdin, stdout and stderr";
    case kCwd: return "cannot change to the working directory";
    case kGroups: return "cannot set the supplementary groups";
    case kGid: return "cannot switch group";
    case kUid: return "cannot switch user";
    default: return "cannot execute";
  }
}

// The sentence for a step that failed with errno err.
std::string step_error(const SpawnSpec& spec, int step, int err) {
  std::string what = step_name(step);
  if (step == kExec) what += " " + spec.program;
  if (step == kCwd) what += " " + spec.cwd;
  return what + ": " + std::strerror(err);
}

// Starting a job from a supervisor that holds three descriptors for each
// running job. glibc's posix_spawn gives its child a copy of the whole fd
// table, closes it there again (closefrom), and maps and unmaps a stack for
// every call (the unmap is a TLB shootdown on every CPU the supervisor's
// threads ran on). In the profile of START of 1,000 jobs (perf record -g of
// the supervisor), close_range in the child was a third of the
// supervisor's samples and growing with every running job.
//
// Here the child shares the fd table (CLONE_FILES) and takes a private copy
// of only its lowest fds: close_range(first, ~0, CLOSE_RANGE_UNSHARE) copies
// those below `first` and nothing above. The pipe ends reach it through
// three fds reserved among the lowest when the supervisor starts: /dev/null
// for stdin, and two slots the pipes' write ends are dup'd into for the
// spawn and replaced by /dev/null after it. The stack is mapped once. The
// child runs in the supervisor's memory until execve (CLONE_VM|CLONE_VFORK,
// as posix_spawn does): it makes raw system calls only, so that no libc or
// sanitizer state is touched, and leaves a failed step in `step` and `err`.
class LowFdSpawner {
 public:
  // Reserves the fds and the stack; false if either cannot be had.
  bool ready() {
    if (state_ == State::kUnknown) state_ = reserve() ? State::kReady : State::kUnusable;
    return state_ == State::kReady;
  }

  // nullopt with pid set, or the error. `unusable` when the kernel lacks
  // CLOSE_RANGE_UNSHARE (before 5.9): nothing was started and the caller
  // takes another way, as will every later spawn.
  std::optional<std::string> spawn(const SpawnSpec& spec, char* const* argv, char* const* envp, int out_w,
                                   int err_w, pid_t& pid, bool& unusable) {
    Args a{spec.program.c_str(), argv, envp, spec.cwd.empty() ? nullptr : spec.cwd.c_str(), null_, out_slot_,
           err_slot_, first_unshared_, spec.gid.has_value(), spec.gid.value_or(0), spec.uid.has_value(),
           spec.uid.value_or(0), spec.groups.data(), spec.groups.size(), non_default_signals(own_stat()), 0, 0};
    if (dup3(out_w, out_slot_, O_CLOEXEC) < 0 || dup3(err_w, err_slot_, O_CLOEXEC) < 0) {
      int err = errno;
      release_slots();
      return step_error(spec, kStdio, err);
    }
    // Blocked across clone so that no handler of the supervisor's runs in
    // the child, which shares its memory; the child unblocks them last.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = clone(child, stack_top_, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    release_slots();
    if (pid < 0) return std::string("cannot start a process: ") + std::strerror(clone_errno);
    if (a.step == 0) return std::nullopt;
    waitpid(pid, nullptr, 0);  // it has exited already: reaping cannot block
    pid = -1;
    if (a.step == kUnshare) {
      state_ = State::kUnusable;
      unusable = true;
    }
    return step_error(spec, a.step, a.err);
  }

 private:
  struct Args {
    const char* program;
    char* const* argv;
    char* const* envp;
    const char* cwd;
    int null_fd, out_fd, err_fd;
    unsigned first_unshared;
    bool set_gid;
    gid_t gid;
    bool set_uid;
    uid_t uid;
    const gid_t* groups;
    size_t n_groups;
    // Which signals the child sets back to default: asking /proc once
    // instead of 62 rt_sigaction calls in the child, during which the
    // supervisor waits (about 70 us; perf sched of crash to running,
    // 2026-12-06). Asked of a stat file kept open (own_stat): opening and
    // reading status took 25 to 45 us of the 230 between a crash's SIGCHLD
    // and the clone (supervisor probes, 2026-12-07); a read of stat kept
    // open takes 4 us in a loop, 14 for status opened and read.
    uint64_t non_default;
    int step, err;  // written by the child
  };

  // The kernel's struct sigaction for rt_sigaction: all zero is SIG_DFL
  // with no flags and an empty mask.
  struct KernelSigaction {
    uintptr_t handler;
    unsigned long flags;
    uintptr_t restorer;
    uint64_t mask;
  };

  static long sys(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
    long r = syscall(n, a, b, c, d);
    return r < 0 ? -errno : r;
  }

  [[noreturn]] static void fail(Args* a, int step, long err) {
    a->step = step;
    a->err = static_cast<int>(-err);
    syscall(SYS_exit, 127);
    __builtin_unreachable();
  }

  static int child(void* p) {
    auto* a = static_cast<Args*>(p);
    long r = sys(SYS_close_range, a->first_unshared, ~0u, CLOSE_RANGE_UNSHARE);
    if (r < 0) fail(a, kUnshare, r);
    // From here the fd table is the child's own.
    // dup3 with no flags: the copies are not close-on-exec (the reserved
    // fds are all above 2, so source and target never coincide).
    if ((r = sys(SYS_dup3, a->null_fd, 0)) < 0 || (r = sys(SYS_dup3, a->out_fd, 1)) < 0 ||
        (r = sys(SYS_dup3, a->err_fd, 2)) < 0)
      fail(a, kStdio, r);
    sys(SYS_close_range, 3, ~0u, 0);
    // Ignored signals survive execve. Handlers would not, but until execve
    // a pending signal would run the supervisor's handler here, in its
    // memory: both go back to default before the mask is lifted.
    const KernelSigaction dfl{};
    for (int s = 1; s < NSIG; ++s)
      if ((a->non_default >> (s - 1)) & 1 && s != SIGKILL && s != SIGSTOP)
        sys(SYS_rt_sigaction, s, reinterpret_cast<long>(&dfl), 0, sizeof(uint64_t));
    if ((r = sys(SYS_setsid)) < 0) fail(a, kSession, r);
    if (a->cwd && (r = sys(SYS_chdir, reinterpret_cast<long>(a->cwd))) < 0) fail(a, kCwd, r);
    if (a->set_gid) {
      if ((r = sys(SYS_setgroups, static_cast<long>(a->n_groups), reinterpret_cast<long>(a->groups))) < 0)
        fail(a, kGroups, r);
      if ((r = sys(SYS_setgid, a->gid)) < 0) fail(a, kGid, r);
    }
    if (a->set_uid && (r = sys(SYS_setuid, a->uid)) < 0) fail(a, kUid, r);
    const uint64_t none = 0;
    sys(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, sizeof none);
    r = sys(SYS_execve, reinterpret_cast<long>(a->program), reinterpret_cast<long>(a->argv),
            reinterpret_cast<long>(a->envp));
    fail(a, kExec, r);
  }

  bool reserve() {
    // The lowest fds from 3 up: the child's private copy is every fd below
    // first_unshared_, so these are taken before anything else is opened.
    null_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_ < 0) return false;
    if (null_ < 3) {
      int moved = fcntl(null_, F_DUPFD_CLOEXEC, 3);
      ::close(null_);
      if ((null_ = moved) < 0) return false;
    }
    out_slot_ = fcntl(null_, F_DUPFD_CLOEXEC, 3);
    err_slot_ = fcntl(null_, F_DUPFD_CLOEXEC, 3);
    void* stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (out_slot_ < 0 || err_slot_ < 0 || stack == MAP_FAILED) return false;
    mprotect(stack, 4096, PROT_NONE);  // a guard page below the stack
    stack_top_ = static_cast<char*>(stack) + kStackBytes;
    first_unshared_ = static_cast<unsigned>(std::max({null_, out_slot_, err_slot_})) + 1;
    own_stat();  // now, with the others: a process's fds are all open before its first job
    return true;
  }

  // This process's /proc/PID/stat, opened once (again in a forked child,
  // whose pid it is not); -1 if /proc cannot be had, and then the child
  // resets every signal.
  int own_stat() {
    pid_t me = shm::own_pid();
    if (stat_pid_ != me) {
      if (stat_fd_ >= 0) ::close(stat_fd_);
      stat_fd_ = open_proc(me, "stat");
      stat_pid_ = me;
    }
    return stat_fd_;
  }

  void release_slots() {
    dup3(null_, out_slot_, O_CLOEXEC);
    dup3(null_, err_slot_, O_CLOEXEC);
  }

  static constexpr size_t kStackBytes = 64 * 1024;
  enum class State { kUnknown, kReady, kUnusable } state_ = State::kUnknown;
  int null_ = -1, out_slot_ = -1, err_slot_ = -1;
  unsigned first_unshared_ = 0;
  char* stack_top_ = nullptr;
  int stat_fd_ = -1;
  pid_t stat_pid_ = 0;
};

// One per lane: a lane's spawns come one at a time (its mutex is for
// tests' threads), and lanes spawn side by side. A child copies every fd
// below its own lane's first_unshared_, which may take in a lower lane's
// slots and the pipe a spawn there has put in them; it closes all of them
// (close_range from 3) before its exec, as it does its own.
struct Lane {
  std::mutex mutex;
  LowFdSpawner spawner;
};
Lane& lane(int i) {
  static Lane lanes[kSpawnLanes];
  return lanes[i];
}

// The kernel stamps a new process with the boot clock inside clone, and
// /proc shows that stamp in clock ticks: read before and after the spawn,
// the boot clock brackets it, and when both reads fall in the same tick the
// process's start time is known without opening /proc/PID/stat, three
// system calls and a procfs lookup that were as costly as the clone itself
// in the profile of crash to running (perf record of the supervisor,
// 2026-12-06). A tick is 10 ms; a spawn takes well under one, so the
// bracket seldom straddles two, and then the caller asks /proc.
uint64_t boottime_ticks() {
  static const uint64_t ns_per_tick = 1000000000ull / uint64_t(sysconf(_SC_CLK_TCK));
  // The system call itself, not the C library's clock_gettime: a library
  // that fakes the time for the process (libfaketime, in the scheduler's
  // tests) must not make it name another start.
  timespec t{};
  syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &t);
  return (uint64_t(t.tv_sec) * 1000000000ull + uint64_t(t.tv_nsec)) / ns_per_tick;
}

std::vector<char*> pointers(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Without a user to switch to, glibc's posix_spawn does all a job needs
// (a session, stdio, cwd, default signals, no other fd) with vfork-style
// clone: no copy of the supervisor's page tables, no report pipe, and it
// too returns only once the program runs or failed to.
std::optional<std::string> spawn_plain(const SpawnSpec& spec, char* const* argv, char* const* envp, const Pipe& o,
                                       const Pipe& e, pid_t& pid) {
  if (!spec.cwd.empty()) {
    struct stat st;
    int err = stat(spec.cwd.c_str(), &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
    if (err) return std::string(step_name(kCwd)) + " " + spec.cwd + ": " + std::strerror(err);
  }
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&fa);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, o.w, 1);
  posix_spawn_file_actions_adddup2(&fa, e.w, 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  int err = posix_spawn(&pid, spec.program.c_str(), &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err) return std::string(step_name(kExec)) + " " + spec.program + ": " + std::strerror(err);
  return std::nullopt;
}

// With a user to switch to: fork, and the steps done by hand in the child,
// which reports a failed step through a pipe of its own.
std::optional<std::string> spawn_switching_user(const SpawnSpec& spec, char* const* argv, char* const* envp,
                                                const Pipe& o, const Pipe& e, pid_t& pid) {
  Pipe report;
  if (!report.open()) return std::string("cannot create pipes: ") + std::strerror(errno);
  // Signals stay blocked across fork so that no handler runs in the child
  // before it has reset them (libuv does the same).
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid = fork();
  if (pid == 0) child(spec, argv, envp, o.w, e.w, report.w);
  int fork_errno = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  ::close(report.w);
  if (pid < 0) {
    ::close(report.r);
    return std::string("cannot fork: ") + std::strerror(fork_errno);
  }
  int msg[2] = {0, 0};
  ssize_t n;
  do n = read(report.r, msg, sizeof msg);
  while (n < 0 && errno == EINTR);
  ::close(report.r);
  if (n != static_cast<ssize_t>(sizeof msg)) return std::nullopt;
  waitpid(pid, nullptr, 0);  // it has exited already: reaping cannot block
  return step_error(spec, msg[0], msg[1]);
}

}  // namespace

bool reserve_spawn_fds() {
  bool ready = true;
  for (int i = 0; i < kSpawnLanes; ++i) {
    std::lock_guard lock(lane(i).mutex);
    ready = lane(i).spawner.ready() && ready;
  }
  return ready;
}

std::optional<std::string> open_job_pipes(JobPipes& pipes) {
  Pipe o, e;
  if (!o.open() || !e.open()) {
    std::string err = std::string("cannot create pipes: ") + std::strerror(errno);
    o.close_both();
    e.close_both();
    return err;
  }
  pipes = {o.r, o.w, e.r, e.w};
  return std::nullopt;
}

void close_job_pipes(JobPipes& pipes) {
  for (int fd : {pipes.out_r, pipes.out_w, pipes.err_r, pipes.err_w})
    if (fd >= 0) ::close(fd);
  pipes = {};
}

std::optional<std::string> spawn_job(const SpawnSpec& spec, JobPipes& pipes, Spawned& out, int lane_index) {
  Pipe o{pipes.out_r, pipes.out_w}, e{pipes.err_r, pipes.err_w};
  pipes = {};
  auto argv = pointers(spec.argv);
  auto envp = pointers(spec.env);
  pid_t pid = -1;
  std::optional<std::string> err;
  bool done = false;
  const uint64_t before = boottime_ticks();
  {
    Lane& l = lane(lane_index);
    std::lock_guard lock(l.mutex);
    if (l.spawner.ready()) {
      bool unusable = false;
      err = l.spawner.spawn(spec, argv.data(), envp.data(), o.w, e.w, pid, unusable);
      done = !unusable;
    }
  }
  if (!done)
    err = spec.uid || spec.gid ? spawn_switching_user(spec, argv.data(), envp.data(), o, e, pid)
                               : spawn_plain(spec, argv.data(), envp.data(), o, e, pid);
  ::close(o.w);
  ::close(e.w);
  if (err) {
    ::close(o.r);
    ::close(e.r);
    return err;
  }
  const uint64_t after = boottime_ticks();
  fcntl(o.r, F_SETFL, O_NONBLOCK);
  fcntl(e.r, F_SETFL, O_NONBLOCK);
  out = {pid, o.r, e.r, before == after ? before : 0};
  return std::nullopt;
}

std::optional<std::string> spawn_job(const SpawnSpec& spec, Spawned& out, int lane) {
  JobPipes pipes;
  if (auto err = open_job_pipes(pipes)) return err;
  return spawn_job(spec, pipes, out, lane);
}

}  // namespace backend::worker
