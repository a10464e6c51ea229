#include "worker/supervisor/jobs.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "shm/job_table.h"
#include "shm/lock.h"
#include "shm/ring.h"
#include "worker/common/log.h"
#include "worker/supervisor/output_capture.h"
#include "worker/common/proc_info.h"
#include "worker/common/signal_name.h"

namespace backend::worker {

using protocol::Code;

// A run's stage file, shared by its two outputs.
struct Stage {
  explicit Stage(int f) : fd(f) {}
  ~Stage() {
    if (fd >= 0) close(fd);
  }
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  int fd;
};

// One of a run's two pipes. Heap-held so that it can outlive its run until
// libuv has closed it.
struct Jobs::Output {
  Output(Jobs* j, Run* r, int pipe_fd, std::shared_ptr<Stage> st, bool is_err, shm::Ring ring)
      : jobs(j), run(r), stage(std::move(st)), capture(pipe_fd, stage->fd, is_err, ring) {}
  uv_poll_t poll;
  Jobs* jobs;
  Run* run;  // null once the run was retired
  std::shared_ptr<Stage> stage;
  OutputCapture capture;
  bool closed = false;
  bool paused = false;

  // Moves at most `limit` bytes on.
  OutputCapture::Pumped pump(size_t limit);
  void close();
  static void on_readable(uv_poll_t* h, int status, int events);
};

struct Jobs::Run {
  explicit Run(Jobs* j) : jobs(j) {}
  Jobs* jobs;  // for the callbacks of its handles
  std::string name;
  uint32_t slot = 0;
  pid_t pid = 0;
  RunSettings settings;
  Output* out = nullptr;
  Output* err = nullptr;
  uv_timer_t* kill_timer = nullptr;
  uv_timer_t* exit_deadline = nullptr;  // see await_exit()
  struct PidWatch {
    uv_poll_t poll;  // first: the handle is the struct
    int fd;
  };
  PidWatch* exit_watch = nullptr;  // a pidfd, see watch_exit()
  bool exited = false;
  bool stopping = false;
  bool released = false;  // the master was told it may close its copies
  bool foreign = false;   // its pid belongs to another process now: never signal it
  std::vector<Reply> stop_waiters;
  std::deque<std::function<void()>> queued;  // commands that arrived during a STOP
  std::string log_hour;
  std::string log_path[2];
  // Per stream (stdout, stderr): the number after its last line handed to
  // the log writer; 0 before any.
  uint64_t appended[2] = {0, 0};
};

OutputCapture::Pumped Jobs::Output::pump(size_t limit) {
  std::string_view prefix = jobs->clock_.prefix();
  return capture.pump(limit, prefix, [this, prefix](uint64_t first, const std::vector<std::string_view>& lines) {
    if (run) jobs->log_lines(*run, capture.is_err(), first, lines, prefix);
  });
}

void Jobs::Output::on_readable(uv_poll_t* h, int status, int) {
  auto* out = static_cast<Output*>(h->data);
  if (status < 0) return out->close();
  auto p = out->pump(kPumpBytes);
  if (p.end) return out->close();
  if (p.bytes > 0 && p.bytes < kTrickleBytes) out->jobs->pause(*out);
}

// A job writing a little at a time is read a little later, many lines per
// wakeup instead of one: a hundred jobs printing every millisecond would
// otherwise cost a wakeup, a splice and a ring commit per line. A job that
// fills the pipe is never paused.
void Jobs::pause(Output& o) {
  uv_poll_stop(&o.poll);
  o.paused = true;
  paused_.push_back(&o);
  if (resume_timer_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(resume_timer_))) arm_resume_timer();
}

void Jobs::arm_resume_timer() {
  uv_timer_start(resume_timer_, [](uv_timer_t* t) { static_cast<Jobs*>(t->data)->resume_paused(); }, kCoalesceMs, 0);
}

// Paused outputs are read here, straight from the timer: a job still
// trickling stays paused (no epoll changes, no wakeup of its own), one that
// went quiet or speeds up is polled again.
void Jobs::resume_paused() {
  auto paused = std::move(paused_);
  paused_.clear();
  for (Output* o : paused) {
    o->paused = false;
    auto p = o->pump(kPumpBytes);
    if (p.end) {
      o->close();
    } else if (p.bytes > 0 && p.bytes < kTrickleBytes) {
      o->paused = true;
      paused_.push_back(o);
    } else {
      uv_poll_start(&o->poll, UV_READABLE | UV_DISCONNECT, Output::on_readable);
    }
  }
  if (!paused_.empty()) arm_resume_timer();
}

void Jobs::Output::close() {
  if (closed) return;
  closed = true;
  if (paused) std::erase(jobs->paused_, this);
  if (run) {
    // libuv frees this Output once closed: the run must not point at it.
    (capture.is_err() ? run->err : run->out) = nullptr;
    jobs->maybe_release(*run);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&poll), [](uv_handle_t* h) {
    auto* o = static_cast<Output*>(h->data);
    ::close(o->capture.pipe_fd());
    delete o;
  });
}

namespace {

std::string exit_line(const std::string& name, int status) {
  if (status < 0) return "Process \"" + name + "\" exit with unknown status.";
  if (WIFSIGNALED(status)) return "Process \"" + name + "\" killed by signal " + signal_name(WTERMSIG(status)) + ".";
  return "Process \"" + name + "\" exit with code " + std::to_string(WEXITSTATUS(status)) + ".";
}

bool group_alive(pid_t pgid) { return kill(-pgid, 0) == 0; }

// "[26-11-24 15:18:36] text" -> "2026112415", the hour the line belongs to.
std::string hour_of_prefix(const std::string& line) {
  if (line.size() < 20 || line[0] != '[') return "0000000000";
  return "20" + line.substr(1, 2) + line.substr(4, 2) + line.substr(7, 2) + line.substr(10, 2);
}

}  // namespace

Jobs::Jobs(uv_loop_t* loop, const shm::Segment& segment, std::string log_dir,
           std::map<std::string, std::string> interpreters)
    : loop_(loop), seg_(segment), log_dir_(std::move(log_dir)), interpreters_(std::move(interpreters)), logs_(loop),
      resume_timer_(new uv_timer_t) {
  uv_timer_init(loop_, resume_timer_);
  resume_timer_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(resume_timer_));
}

Jobs::~Jobs() { close_resume_timer(); }

void Jobs::close_resume_timer() {
  if (!resume_timer_) return;
  uv_close(reinterpret_cast<uv_handle_t*>(resume_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  resume_timer_ = nullptr;
}

void Jobs::close_handles() {
  for (auto& [name, run] : runs_) {
    for (Output* o : {run->out, run->err})  // a copy: close() clears them
      if (o) o->close();
    close_run_handles(*run);
  }
  // Here, not in the destructor: by then the loop has closed every handle.
  close_resume_timer();
}

void Jobs::close_run_handles(Run& run) {
  for (uv_timer_t** timer : {&run.kill_timer, &run.exit_deadline}) {
    if (!*timer) continue;
    uv_close(reinterpret_cast<uv_handle_t*>(*timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    *timer = nullptr;
  }
  if (run.exit_watch) {
    uv_close(reinterpret_cast<uv_handle_t*>(&run.exit_watch->poll), [](uv_handle_t* h) {
      auto* watch = reinterpret_cast<Run::PidWatch*>(h);
      close(watch->fd);
      delete watch;
    });
    run.exit_watch = nullptr;
  }
}

Jobs::Run* Jobs::current(const std::string& name) const {
  auto it = runs_.find(name);
  return it == runs_.end() ? nullptr : it->second.get();
}

bool Jobs::running(const std::string& name) const {
  Run* run = current(name);
  return run && !run->exited;
}

bool Jobs::wait_for_take(std::function<void()> again) {
  if (taken_) return false;
  before_taken_.push_back(std::move(again));
  return true;
}

void Jobs::start(const std::string& name, const std::string& settings_json, Reply reply) {
  if (wait_for_take([=, this] { start(name, settings_json, reply); })) return;
  Run* old = current(name);
  if (old && old->stopping && !old->exited) {
    old->queued.push_back([=, this] { start(name, settings_json, reply); });
    return;
  }
  if (old && !old->exited) return reply(Code::kFailed, "job \"" + name + "\" is already running");
  shm::JobTable table = seg_.table();
  auto slot = table.find(name);
  if (!slot) return reply(Code::kFailed, "job \"" + name + "\" does not exist");
  auto run = std::make_unique<Run>(this);
  SpawnSpec spec;
  if (auto err = read_run_settings(settings_json, run->settings)) return reply(Code::kFailed, *err);
  if (auto err = resolve_command(run->settings, interpreters_, spec)) return reply(Code::kFailed, *err);
  if (old) {
    retire(std::move(runs_[name]));
    runs_.erase(name);
  }
  int stage_fd = create_stage();
  if (stage_fd < 0) return reply(Code::kFailed, std::string("cannot create the output stage: ") + std::strerror(errno));
  auto stage = std::make_shared<Stage>(stage_fd);
  JobPipes pipes;
  if (auto err = open_job_pipes(pipes)) return reply(Code::kFailed, *err);
  // Before the master holds the fds: a successor must find this run's offsets.
  seg_.job_ring(*slot).reset_capture(kStageBase);
  // The pipes are lent before the job exists: a supervisor killed while it
  // spawns (it spends much of a busy life there) leaves the master an
  // orphan it can tell by its pipes, and the next supervisor takes it over
  // with its output instead of starting a second copy.
  const std::string slot_text = std::to_string(*slot);
  if (tell_master_) tell_master_("PREPARE " + slot_text, {pipes.out_r, pipes.err_r, stage_fd});
  Spawned spawned;
  if (auto err = spawn_job(spec, pipes, spawned)) {
    if (tell_master_) tell_master_("UNPREPARE " + slot_text, {});
    return reply(Code::kFailed, *err);
  }
  run->name = name;
  run->slot = *slot;
  run->pid = spawned.pid;
  open_outputs(*run, spawned.out_fd, spawned.err_fd, stage);
  const uint64_t ticks = start_ticks(spawned.pid).value_or(0);
  if (tell_master_) tell_master_("HOLD " + std::to_string(spawned.pid) + " " + slot_text + " " + std::to_string(ticks), {});
  seg_.job_ring(*slot).clear();
  {
    shm::LockGuard guard(seg_.header().table_lock);
    table.update(*slot, [&](shm::JobSlot& s) {
      s.state = static_cast<uint8_t>(shm::JobState::kUp);
      s.pid = spawned.pid;
      s.started_at = clock_.seconds();
      s.start_ticks = ticks;
      s.flags &= ~shm::kJobStopRequested;
      s.next_retry_at = 0;
      uint64_t first = seg_.job_ring(*slot).next_line();
      s.logged[0].store(first);
      s.logged[1].store(first);
    });
  }
  by_pid_[spawned.pid] = run.get();
  runs_[name] = std::move(run);
  reply(Code::kOk, {});
}

void Jobs::open_outputs(Run& run, int out_fd, int err_fd, const std::shared_ptr<Stage>& stage) {
  for (auto [fd, is_err] : {std::pair{out_fd, false}, {err_fd, true}}) {
    if (fd < 0) continue;
    auto* o = new Output(this, &run, fd, stage, is_err, seg_.job_ring(run.slot));
    o->capture.resume();
    uv_poll_init(loop_, &o->poll, fd);
    o->poll.data = o;
    uv_poll_start(&o->poll, UV_READABLE | UV_DISCONNECT, Output::on_readable);
    (is_err ? run.err : run.out) = o;
  }
}

void Jobs::maybe_release(Run& run) {
  if (run.released || !run.exited || !tell_master_) return;
  for (Output* o : {run.out, run.err})
    if (o && !o->closed) return;
  run.released = true;
  tell_master_("RELEASE " + std::to_string(run.pid), {});
}

void Jobs::adopt(const std::string& name, const std::string& settings_json, pid_t pid, uint32_t slot,
                 uint64_t ticks, std::vector<int>& fds, bool exited_meanwhile, int status) {
  if (Run* known = current(name); known && known->pid == pid) return;  // handed back twice
  auto run = std::make_unique<Run>(this);
  read_run_settings(settings_json, run->settings);
  run->name = name;
  run->slot = slot;
  run->pid = pid;
  seg_.job_ring(slot).settle();
  catch_up_logs(*run);
  if (fds.size() == 3) {
    open_outputs(*run, fds[0], fds[1], std::make_shared<Stage>(fds[2]));
    fds[0] = fds[1] = fds[2] = -1;
  }
  Run& r = *run;
  if (auto old = runs_.find(name); old != runs_.end()) retire(std::move(old->second));
  runs_[name] = std::move(run);
  if (exited_meanwhile) return exited(r, status);
  // Gone from /proc: the master has reaped it and its EXIT, with the real
  // status, is on the way (had it come before the handover, the master
  // would have handed the job back as exited). Another start time: the pid
  // was reused, the job's exit was missed, and the new owner of the pid is
  // left alone.
  auto now_ticks = start_ticks(pid);
  if (now_ticks && *now_ticks != ticks) {
    spdlog::warn("job \"{}\": pid {} is another process now; its exit was missed", name, pid);
    r.foreign = true;
    return exited(r, -1);
  }
  spdlog::info("job \"{}\" (pid {}) adopted from the previous supervisor", name, pid);
  by_pid_[pid] = &r;
  mark_up(slot, pid, ticks);
  if (!now_ticks) await_exit(r);
}

// A job already gone from /proc when adopted: the master reaped it, and
// its EXIT, with the real status, follows. Should that never come, the job
// must not look up for ever (a STOP of it would wait for ever, and so would
// the server's own stop): past the deadline it is recorded as ended with an
// unknown status, and its pid, free for reuse by now, is never signalled.
void Jobs::await_exit(Run& run) {
  run.exit_deadline = new uv_timer_t;
  uv_timer_init(loop_, run.exit_deadline);
  run.exit_deadline->data = &run;
  uv_timer_start(run.exit_deadline, [](uv_timer_t* t) {
    auto* r = static_cast<Run*>(t->data);
    if (r->exited) return;
    spdlog::warn("job \"{}\" (pid {}): no exit reported within {} ms of its adoption; recorded as ended", r->name,
                 r->pid, kExitDeadlineMs);
    r->foreign = true;
    r->jobs->ended_unseen(*r);
  }, kExitDeadlineMs, 0);
}

// An exit nobody reaps for us: its status is unknown.
void Jobs::ended_unseen(Run& run) {
  by_pid_.erase(run.pid);
  exited(run, -1);
}

// A job found running whose slot does not say so: its supervisor died
// between the spawn and the record.
void Jobs::mark_up(uint32_t slot, pid_t pid, uint64_t ticks) {
  shm::LockGuard guard(seg_.header().table_lock);
  seg_.table().update(slot, [&](shm::JobSlot& s) {
    if (s.pid == pid && s.state == static_cast<uint8_t>(shm::JobState::kUp)) return;
    s.state = static_cast<uint8_t>(shm::JobState::kUp);
    s.pid = pid;
    s.start_ticks = ticks;
    s.started_at = clock_.seconds();
  });
}

void Jobs::adopt_unheld(const std::function<const std::string*(const std::string&)>& settings_of) {
  std::vector<shm::JobInfo> lost;
  seg_.table().for_each([&](const shm::JobInfo& info, const std::string&) {
    if (info.pid > 0 && !by_pid_.count(info.pid) && !running(info.name)) lost.push_back(info);
  });
  for (const auto& info : lost) {
    const std::string* settings = settings_of(info.name);
    std::vector<int> none;
    bool alive = same_process(info.pid, info.start_ticks);
    if (settings && alive) {
      spdlog::warn("job \"{}\" (pid {}) adopted without its output: its pipes were lost", info.name, info.pid);
      adopt(info.name, *settings, info.pid, info.slot, info.start_ticks, none, false, 0);
      continue;
    }
    shm::LockGuard guard(seg_.header().table_lock);
    seg_.table().update(info.slot, [](shm::JobSlot& s) {
      s.state = static_cast<uint8_t>(shm::JobState::kDown);
      s.pid = 0;
    });
  }
  taken_ = true;
  for (auto& again : std::exchange(before_taken_, {})) again();
}

void Jobs::adopt_orphan(const std::string& name, const std::string& settings_json, pid_t pid, uint32_t slot,
                        uint64_t ticks, bool alive) {
  std::vector<int> none;
  adopt(name, settings_json, pid, slot, ticks, none, !alive, -1);
  Run* run = current(name);
  if (!alive || !run || run->exited) return;
  record(*run, "Process \"" + name + "\" (pid " + std::to_string(pid) +
                   ") still runs from a server that was killed: adopted, but its output can no longer be captured.");
  watch_exit(*run);
}

void Jobs::watch_exit(Run& run) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, run.pid, 0));
  if (fd < 0 && errno == ESRCH) return ended_unseen(run);  // gone already: nobody else will say so
  if (fd < 0) {
    spdlog::warn("job \"{}\" (pid {}): cannot watch for its exit ({}); it shows up until stopped", run.name, run.pid,
                 std::strerror(errno));
    return;
  }
  run.exit_watch = new Run::PidWatch{{}, fd};
  uv_poll_init(loop_, &run.exit_watch->poll, fd);
  run.exit_watch->poll.data = &run;
  uv_poll_start(&run.exit_watch->poll, UV_READABLE, [](uv_poll_t* h, int, int) {
    auto* r = static_cast<Run*>(h->data);
    uv_poll_stop(h);
    if (!r->exited) r->jobs->ended_unseen(*r);
  });
}

void Jobs::master_reaped(pid_t pid, int status) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  Run* run = it->second;
  by_pid_.erase(it);
  exited(*run, status);
}

void Jobs::stop(const std::string& name, Reply reply) {
  if (wait_for_take([=, this] { stop(name, reply); })) return;
  Run* run = current(name);
  if (!run || run->exited) return reply(Code::kFailed, "job \"" + name + "\" is not running");
  run->stop_waiters.push_back(std::move(reply));
  if (run->stopping) return;
  run->stopping = true;
  {
    shm::LockGuard guard(seg_.header().table_lock);
    seg_.table().update(run->slot, [](shm::JobSlot& s) {
      s.state = static_cast<uint8_t>(shm::JobState::kStopping);
      s.flags |= shm::kJobStopRequested;
    });
  }
  if (kill(-run->pid, run->settings.stop_signal) != 0) kill(run->pid, run->settings.stop_signal);
  kill_group_later(*run, run->settings.stop_timeout);
}

void Jobs::restart(const std::string& name, const std::string& settings_json, Reply reply) {
  if (wait_for_take([=, this] { restart(name, settings_json, reply); })) return;
  if (!running(name)) return reply(Code::kFailed, "job \"" + name + "\" is not running");
  stop(name, [=, this](Code code, const std::string& error) {
    if (code != Code::kOk) return reply(code, error);
    start(name, settings_json, [=, this](Code c, const std::string& e) {
      if (c == Code::kOk) {
        Run* run = current(name);
        shm::LockGuard guard(seg_.header().table_lock);
        seg_.table().update(run->slot, [](shm::JobSlot& s) { ++s.restarts; });
      }
      reply(c, e);
    });
  });
}

// After `seconds`, SIGKILL for whatever is left of the run's process group.
void Jobs::kill_group_later(Run& run, uint32_t seconds) {
  if (!run.kill_timer) {
    run.kill_timer = new uv_timer_t;
    uv_timer_init(loop_, run.kill_timer);
  }
  run.kill_timer->data = &run;
  uv_timer_start(run.kill_timer, [](uv_timer_t* t) {
    auto* r = static_cast<Run*>(t->data);
    if (kill(-r->pid, SIGKILL) != 0 && !r->exited) kill(r->pid, SIGKILL);
  }, uint64_t(seconds) * 1000, 0);
}

void Jobs::reap() {
  int status;
  for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) continue;
    Run* run = it->second;
    by_pid_.erase(it);
    exited(*run, status);
  }
}

// The output the process wrote before it died comes first, then the exit.
void Jobs::exited(Run& run, int status) {
  run.exited = true;
  for (Output* o : {run.out, run.err}) {
    if (!o || o->closed) continue;
    // Only what was written before the exit: children left holding the
    // pipe may write on forever, and their lines come through the poll.
    int queued = 0;
    if (ioctl(o->capture.pipe_fd(), FIONREAD, &queued) != 0) queued = 0;
    while (queued > 0) {
      size_t want = std::min<size_t>(size_t(queued), kPumpBytes);
      if (o->pump(want).end) break;
      queued -= static_cast<int>(want);
    }
  }
  std::string line = exit_line(run.name, status);
  record(run, line);
  {
    shm::LockGuard guard(seg_.header().table_lock);
    seg_.table().record_exit(run.slot, status, clock_.seconds());
  }
  // What is left of the group goes too, as systemd does, so that a new
  // start never runs beside the remains of this one.
  if (!run.foreign && group_alive(run.pid)) {
    if (!run.stopping) {  // a STOP has sent its signal and armed its timer already
      kill(-run.pid, SIGTERM);
      kill_group_later(run, run.settings.stop_timeout);
    }
  } else if (run.kill_timer) {
    uv_timer_stop(run.kill_timer);
  }
  auto waiters = std::move(run.stop_waiters);
  run.stop_waiters.clear();
  auto queued = std::move(run.queued);
  run.queued.clear();
  bool requested = run.stopping;
  run.stopping = false;
  int64_t started = slot_of(run).started_at;
  maybe_release(run);
  // Before the waiters: a RESTART's start replaces this run.
  if (on_exit_) on_exit_(run.name, requested, started ? clock_.seconds() - started : 0);
  for (auto& w : waiters) w(Code::kOk, {});
  for (auto& q : queued) q();
  maybe_all_stopped();
}

void Jobs::record(Run& run, const std::string& line) {
  spdlog::info("{}", line);
  on_line(run, false, line);
}

void Jobs::on_line(Run& run, bool is_err, std::string_view text) {
  std::string entry = clock_.prefix();
  entry.append(text);
  uint64_t number = seg_.job_ring(run.slot).append(entry, is_err);
  std::string_view line = entry;
  log_lines(run, is_err, number, {&line, 1}, {});
}

// Lines already in the ring, numbered from `first`, to the log file in one
// append; the prefix is added here unless the texts carry it.
void Jobs::log_lines(Run& run, bool is_err, uint64_t first, std::span<const std::string_view> lines,
                     std::string_view prefix) {
  if (!run.settings.writelog || lines.empty()) return;
  const std::string& hour = clock_.hour();
  if (run.log_hour != hour) {
    run.log_hour = hour;
    run.log_path[0] = log_path(run.name, hour, false);
    run.log_path[1] = log_path(run.name, hour, true);
  }
  const int s = is_err ? 1 : 0, other = 1 - s;
  const uint64_t upto = first + lines.size();
  shm::JobSlot& slot = slot_of(run);
  logs_.append_lines(run.log_path[s], prefix, lines, &slot.logged[s], upto);
  run.appended[s] = upto;
  // The other stream has no line below upto still to write: its progress
  // moves along, so that a successor's catch-up starts here and a quiet
  // stream (stderr, mostly) never looks like lines lost.
  if (slot.logged[other].load(std::memory_order_acquire) >= run.appended[other]) raise_to(slot.logged[other], upto);
}

std::string Jobs::log_path(const std::string& name, const std::string& hour, bool is_err) const {
  return log_dir_ + "/jobs/" + name + "/" + hour.substr(0, 8) + "/" + hour + (is_err ? ".error.log" : ".log");
}

shm::JobSlot& Jobs::slot_of(const Run& run) const {
  return reinterpret_cast<shm::JobSlot*>(seg_.base() + seg_.header().slots_offset)[run.slot];
}

// Lines a dead supervisor had read, put in the ring and queued for the log,
// but not yet written: the ring still has them, numbered, so they go to the
// log now, before anything newer. Nothing is lost and nothing doubled
// unless the ring itself dropped them (a gap is logged).
void Jobs::catch_up_logs(Run& run) {
  if (!run.settings.writelog) return;
  shm::JobSlot& slot = slot_of(run);
  uint64_t upto[2] = {slot.logged[0].load(), slot.logged[1].load()};
  uint64_t next = 0;
  auto lines = seg_.job_ring(run.slot).since(std::min(upto[0], upto[1]), SIZE_MAX, next);
  if (!lines.empty() && lines.front().number > std::min(upto[0], upto[1]))
    spdlog::warn("job \"{}\": {} output lines left the buffer before they were logged", run.name,
                 lines.front().number - std::min(upto[0], upto[1]));
  size_t written = 0;
  for (const auto& line : lines) {
    int s = line.is_err ? 1 : 0;
    if (line.number < upto[s]) continue;
    logs_.append(log_path(run.name, hour_of_prefix(line.text), line.is_err), line.text + "\n", &slot.logged[s],
                 line.number + 1);
    run.appended[s] = line.number + 1;
    ++written;
  }
  if (written) spdlog::info("job \"{}\": {} output lines the previous supervisor had not logged are logged", run.name, written);
}

// An earlier run of a job being started again: whatever of it is left dies
// now, and its pipes close.
void Jobs::retire(std::unique_ptr<Run> run) {
  if (!run->foreign && group_alive(run->pid)) kill(-run->pid, SIGKILL);
  if (auto it = by_pid_.find(run->pid); it != by_pid_.end() && it->second == run.get()) by_pid_.erase(it);
  run->exited = true;
  for (Output* o : {run->out, run->err})  // a copy: close() clears them
    if (o) {
      o->close();  // the last of the two tells the master to let go
      o->run = nullptr;
    }
  close_run_handles(*run);
}

void Jobs::forget(const std::string& name) {
  auto it = runs_.find(name);
  if (it == runs_.end() || !it->second->exited) return;
  retire(std::move(it->second));
  runs_.erase(it);
}

void Jobs::stop_all(std::function<void()> done) {
  all_stopped_ = std::move(done);
  for (auto& [name, run] : runs_)
    if (!run->exited) stop(name, [](Code, const std::string&) {});
  maybe_all_stopped();
}

void Jobs::maybe_all_stopped() {
  if (!all_stopped_) return;
  for (auto& [name, run] : runs_)
    if (!run->exited) return;
  logs_.close();
  for (auto& [name, run] : runs_) retire(std::move(run));
  runs_.clear();
  auto done = std::move(all_stopped_);
  all_stopped_ = nullptr;
  done();
}

}  // namespace backend::worker
