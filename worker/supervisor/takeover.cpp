#include "worker/supervisor/takeover.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "shm/job_table.h"
#include "shm/ring.h"
#include "worker/common/log.h"
#include "worker/common/proc_info.h"

namespace backend::worker {

// A libuv handle that watches one run's exit for the takeover.
struct Run::ExitWatch {
  union {
    uv_timer_t timer;
    uv_poll_t poll;
  };
  int fd = -1;  // the pidfd a poll watches
  Takeover* self = nullptr;
  Run* run = nullptr;
};

Takeover::Takeover(uv_loop_t* loop, const shm::Segment& segment, Runs& runs, OutputPump& pump, Ended ended,
                   Retire retire)
    : loop_(loop), seg_(segment), runs_(runs), pump_(pump), ended_(std::move(ended)), retire_(std::move(retire)) {}

void Takeover::set_master(Send send) {
  send_ = std::move(send);
  taken_ = false;
}

bool Takeover::wait_for_take(std::function<void()> again) {
  if (taken_) return false;
  before_taken_.push_back(std::move(again));
  return true;
}

void Takeover::lend(uint32_t slot, const std::vector<int>& fds) {
  if (send_) send_(Prepare{slot}, fds, When::kNow);
}

void Takeover::unlend(uint32_t slot) {
  if (send_) send_(Unprepare{slot}, {}, When::kNow);
}

void Takeover::hold(pid_t pid, uint32_t slot, uint64_t ticks) {
  if (send_) send_(Hold{pid, slot, ticks}, {}, When::kNow);
}

void Takeover::maybe_release(Run& run, When when) {
  if (run.released || !run.exited || run.reading() || !send_) return;
  run.released = true;
  send_(Release{run.pid}, {}, when);
}

void Takeover::exited(Run& run, int status, When when) {
  if (run.released || !send_) return;
  if (run.reading()) return send_(Exit{run.pid, status}, {}, when);
  maybe_release(run, when);
}

void Takeover::adopt(const std::string& name, const std::string& settings_json, pid_t pid, uint32_t slot,
                     uint64_t ticks, std::vector<int>& fds, bool exited_meanwhile, int status) {
  if (Run* known = runs_.current(name); known && known->pid == pid) return;  // handed back twice
  auto run = std::make_unique<Run>();
  read_run_settings(settings_json, run->settings);
  run->name = name;
  run->slot = slot;
  run->pid = pid;
  seg_.job_ring(slot).settle();
  pump_.catch_up_logs(*run);
  if (fds.size() == 3) {
    pump_.open(*run, fds[0], fds[1], std::make_shared<Stage>(fds[2]));
    fds[0] = fds[1] = fds[2] = -1;
  }
  Run& r = *run;
  if (auto old = runs_.put(std::move(run))) retire_(std::move(old));
  if (exited_meanwhile) return ended_(r, status);
  // Gone from /proc: the master has reaped it and its Exit, with the real
  // status, is on the way (had it come before the handover, the master
  // would have handed the job back as exited). Another start time: the pid
  // was reused, the job's exit was missed, and the new owner of the pid is
  // left alone.
  auto now_ticks = start_ticks(pid);
  if (now_ticks && *now_ticks != ticks) {
    spdlog::warn("job \"{}\": pid {} is another process now; its exit was missed", name, pid);
    r.foreign = true;
    return ended_(r, -1);
  }
  spdlog::info("job \"{}\" (pid {}) adopted from the previous supervisor", name, pid);
  runs_.watch(r);
  // A job found running whose slot does not say so: its supervisor died
  // between the spawn and the record.
  seg_.table().mark_adopted(slot, pid, ticks, pump_.clock().seconds());
  if (!now_ticks) await_exit(r);
}

// A job already gone from /proc when adopted: the master reaped it, and
// its Exit, with the real status, follows. Should that never come, the job
// must not look up for ever (a STOP of it would wait for ever, and so would
// the server's own stop): past the deadline it is recorded as ended with an
// unknown status, and its pid, free for reuse by now, is never signalled.
void Takeover::await_exit(Run& run) {
  run.exit_deadline = new Run::ExitWatch;
  run.exit_deadline->self = this;
  run.exit_deadline->run = &run;
  uv_timer_init(loop_, &run.exit_deadline->timer);
  run.exit_deadline->timer.data = run.exit_deadline;
  uv_timer_start(&run.exit_deadline->timer, [](uv_timer_t* t) {
    auto* w = static_cast<Run::ExitWatch*>(t->data);
    Run& r = *w->run;
    if (r.exited) return;
    spdlog::warn("job \"{}\" (pid {}): no exit reported within {} ms of its adoption; recorded as ended", r.name,
                 r.pid, kExitDeadlineMs);
    r.foreign = true;
    w->self->ended_unseen(r);
  }, kExitDeadlineMs, 0);
}

// An exit nobody reaps for us: its status is unknown.
void Takeover::ended_unseen(Run& run) {
  runs_.unwatch(run);
  ended_(run, -1);
}

void Takeover::adopt_unheld(const std::function<const std::string*(const std::string&)>& settings_of) {
  std::vector<shm::JobInfo> lost;
  seg_.table().for_each([&](const shm::JobInfo& info, const std::string&) {
    if (info.pid > 0 && !runs_.watched(info.pid) && !runs_.running(info.name)) lost.push_back(info);
  });
  for (const auto& info : lost) {
    const std::string* settings = settings_of(info.name);
    std::vector<int> none;
    if (settings && same_process(info.pid, info.start_ticks)) {
      spdlog::warn("job \"{}\" (pid {}) adopted without its output: its pipes were lost", info.name, info.pid);
      adopt(info.name, *settings, info.pid, info.slot, info.start_ticks, none, false, 0);
      continue;
    }
    seg_.table().mark_down(info.slot);
  }
  taken_ = true;
  for (auto& again : std::exchange(before_taken_, {})) again();
}

void Takeover::adopt_orphan(const std::string& name, const std::string& settings_json, pid_t pid, uint32_t slot,
                            uint64_t ticks, bool alive) {
  std::vector<int> none;
  adopt(name, settings_json, pid, slot, ticks, none, !alive, -1);
  Run* run = runs_.current(name);
  if (!alive || !run || run->exited) return;
  pump_.record(*run, "Process \"" + name + "\" (pid " + std::to_string(pid) +
                         ") still runs from a server that was killed: adopted, but its output can no longer be "
                         "captured.");
  watch_exit(*run);
}

void Takeover::watch_exit(Run& run) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, run.pid, 0));
  if (fd < 0 && errno == ESRCH) return ended_unseen(run);  // gone already: nobody else will say so
  if (fd < 0) {
    spdlog::warn("job \"{}\" (pid {}): cannot watch for its exit ({}); it shows up until stopped", run.name, run.pid,
                 std::strerror(errno));
    return;
  }
  run.exit_watch = new Run::ExitWatch;
  run.exit_watch->fd = fd;
  run.exit_watch->self = this;
  run.exit_watch->run = &run;
  uv_poll_init(loop_, &run.exit_watch->poll, fd);
  run.exit_watch->poll.data = run.exit_watch;
  uv_poll_start(&run.exit_watch->poll, UV_READABLE, [](uv_poll_t* h, int, int) {
    auto* w = static_cast<Run::ExitWatch*>(h->data);
    uv_poll_stop(h);
    if (!w->run->exited) w->self->ended_unseen(*w->run);
  });
}

void Takeover::master_reaped(pid_t pid, int status) {
  Run* run = runs_.watched(pid);
  if (!run) return;
  runs_.unwatch(*run);
  ended_(*run, status);
}

void Takeover::close_handles(Run& run) {
  auto closed = [](uv_handle_t* h) {
    auto* w = static_cast<Run::ExitWatch*>(h->data);
    if (w->fd >= 0) ::close(w->fd);
    delete w;
  };
  if (run.exit_deadline) uv_close(reinterpret_cast<uv_handle_t*>(&run.exit_deadline->timer), closed);
  if (run.exit_watch) uv_close(reinterpret_cast<uv_handle_t*>(&run.exit_watch->poll), closed);
  run.exit_deadline = run.exit_watch = nullptr;
}

}  // namespace backend::worker
