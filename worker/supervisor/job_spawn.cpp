#include "worker/supervisor/job_spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

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

enum Step { kSession = 1, kStdio, kCwd, kGroups, kGid, kUid, kExec };

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
  std::string what = step_name(msg[0]);
  if (msg[0] == kExec) what += " " + spec.program;
  if (msg[0] == kCwd) what += " " + spec.cwd;
  return what + ": " + std::strerror(msg[1]);
}

}  // namespace

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

std::optional<std::string> spawn_job(const SpawnSpec& spec, JobPipes& pipes, Spawned& out) {
  Pipe o{pipes.out_r, pipes.out_w}, e{pipes.err_r, pipes.err_w};
  pipes = {};
  auto argv = pointers(spec.argv);
  auto envp = pointers(spec.env);
  pid_t pid = -1;
  auto err = spec.uid || spec.gid ? spawn_switching_user(spec, argv.data(), envp.data(), o, e, pid)
                                  : spawn_plain(spec, argv.data(), envp.data(), o, e, pid);
  ::close(o.w);
  ::close(e.w);
  if (err) {
    ::close(o.r);
    ::close(e.r);
    return err;
  }
  fcntl(o.r, F_SETFL, O_NONBLOCK);
  fcntl(e.r, F_SETFL, O_NONBLOCK);
  out = {pid, o.r, e.r};
  return std::nullopt;
}

std::optional<std::string> spawn_job(const SpawnSpec& spec, Spawned& out) {
  JobPipes pipes;
  if (auto err = open_job_pipes(pipes)) return err;
  return spawn_job(spec, pipes, out);
}

}  // namespace backend::worker
