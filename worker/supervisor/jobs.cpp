#include "worker/supervisor/jobs.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "shm/job_table.h"
#include "shm/ring.h"
#include "worker/common/log.h"
#include "worker/common/proc_info.h"
#include "worker/common/signal_name.h"
#include "worker/supervisor/job_spawn.h"
#include "worker/supervisor/output_capture.h"

namespace backend::worker {

using protocol::Code;

namespace {

std::string exit_line(const std::string& name, int status) {
  if (status < 0) return "Process \"" + name + "\" exit with unknown status.";
  if (WIFSIGNALED(status)) return "Process \"" + name + "\" killed by signal " + signal_name(WTERMSIG(status)) + ".";
  return "Process \"" + name + "\" exit with code " + std::to_string(WEXITSTATUS(status)) + ".";
}

bool group_alive(pid_t pgid) { return kill(-pgid, 0) == 0; }

}  // namespace

struct Jobs::Pending {
  std::string name;
  uint32_t slot;
  RunSettings settings;
  std::shared_ptr<Stage> stage;
  Reply reply;
  shm::StartReason why;
};

Jobs::Jobs(uv_loop_t* loop, const shm::Segment& segment, std::string log_dir,
           std::map<std::string, std::string> interpreters)
    : loop_(loop),
      seg_(segment),
      interpreters_(std::move(interpreters)),
      pump_(loop, segment, std::move(log_dir)),
      takeover_(loop, segment, runs_, pump_, [this](Run& run, int status) { exited(run, status); },
                [this](std::unique_ptr<Run> run) { retire(std::move(run)); }),
      spawner_(loop) {
  pump_.set_on_closed([this](Run& run) { takeover_.maybe_release(run); });
  make_spare();
}

Jobs::~Jobs() { drop_spare(); }

void Jobs::make_spare() {
  if (spare_stage_ < 0) spare_stage_ = create_stage();
  if (spare_pipes_.out_r < 0 && open_job_pipes(spare_pipes_)) spare_pipes_ = {};
}

void Jobs::drop_spare() {
  if (spare_stage_ >= 0) ::close(spare_stage_);
  spare_stage_ = -1;
  close_job_pipes(spare_pipes_);
}

void Jobs::close_handles() {
  for (Run* run : runs_.all()) {
    pump_.close(*run);
    close_run_handles(*run);
  }
  // Here, not in the destructor: by then the loop has closed every handle.
  pump_.close_timer();
  spawner_.close();
  drop_spare();
}

void Jobs::close_run_handles(Run& run) {
  if (run.kill_timer) {
    uv_close(reinterpret_cast<uv_handle_t*>(run.kill_timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    run.kill_timer = nullptr;
  }
  takeover_.close_handles(run);
}

void Jobs::start(const std::string& name, const std::string& settings_json, Reply reply, shm::StartReason why) {
  if (takeover_.wait_for_take([=, this] { start(name, settings_json, reply, why); })) return;
  if (after_spawn(name, [=, this] { start(name, settings_json, reply, why); })) return;
  Run* old = runs_.current(name);
  if (old && old->stopping && !old->exited) {
    old->queued.push_back([=, this] { start(name, settings_json, reply, why); });
    return;
  }
  if (old && !old->exited) return reply(Code::kFailed, "job \"" + name + "\" is already running");
  auto slot = seg_.table().find(name);
  if (!slot) return reply(Code::kFailed, "job \"" + name + "\" does not exist");
  spawn(name, *slot, settings_json, std::move(reply), why);
}

void Jobs::spawn(const std::string& name, uint32_t slot, const std::string& settings_json, Reply reply,
                 shm::StartReason why) {
  Pending p{name, slot, {}, {}, std::move(reply), why};
  SpawnSpec spec;
  if (auto err = read_run_settings(settings_json, p.settings)) return p.reply(Code::kFailed, *err);
  if (auto err = resolve_command(p.settings, interpreters_, spec)) return p.reply(Code::kFailed, *err);
  if (auto old = runs_.take(name)) retire(std::move(old));
  int stage_fd = std::exchange(spare_stage_, -1);
  if (stage_fd < 0 && (stage_fd = create_stage()) < 0)
    return p.reply(Code::kFailed, std::string("cannot create the output stage: ") + std::strerror(errno));
  p.stage = std::make_shared<Stage>(stage_fd);
  JobPipes pipes = std::exchange(spare_pipes_, {});
  if (pipes.out_r < 0)
    if (auto err = open_job_pipes(pipes)) return p.reply(Code::kFailed, *err);
  // Before the master holds the fds: a successor must find this run's offsets.
  seg_.job_ring(slot).reset_capture(kStageBase);
  takeover_.lend(slot, {pipes.out_r, pipes.err_r, stage_fd});
  // A restart after a crash is the one spawn in sight, and its time to
  // running is what counts: on the loop it is spared the two hops to the
  // spawning thread and back. Every other start is spawned there, so that
  // the loop goes on to the next while this one's exec is waited for.
  if (why == shm::StartReason::kCrash) {
    Spawned out;
    auto err = spawn_job(spec, pipes, out);
    return spawned(p, err, out);
  }
  spawning_[name];
  spawner_.spawn(std::move(spec), pipes, [this, p = std::move(p)](const std::optional<std::string>& err,
                                                                   const Spawned& out) mutable {
    spawned(p, err, out);
  });
}

void Jobs::spawned(Pending& p, const std::optional<std::string>& error, const Spawned& out) {
  std::vector<std::function<void()>> waiting;
  if (auto it = spawning_.find(p.name); it != spawning_.end()) {
    waiting = std::move(it->second);
    spawning_.erase(it);
  }
  if (error) {
    takeover_.unlend(p.slot);
    p.reply(Code::kFailed, *error);
  } else {
    auto run = std::make_unique<Run>();
    run->name = p.name;
    run->slot = p.slot;
    run->pid = out.pid;
    run->settings = std::move(p.settings);
    pump_.open(*run, out.out_fd, out.err_fd, p.stage);
    const uint64_t ticks = out.start_ticks ? out.start_ticks : start_ticks(out.pid).value_or(0);
    takeover_.hold(out.pid, p.slot, ticks);
    seg_.job_ring(p.slot).clear();
    seg_.table().mark_started(p.slot, out.pid, ticks, pump_.clock().seconds(), seg_.job_ring(p.slot).next_line(),
                              p.why);
    Run& r = *run;
    runs_.watch(r);
    if (auto old = runs_.put(std::move(run))) retire(std::move(old));
    p.reply(Code::kOk, {});
    if (auto it = early_exits_.find(out.pid); it != early_exits_.end()) {
      const int status = it->second;
      early_exits_.erase(it);
      runs_.unwatch(r);
      exited(r, status);
    }
  }
  if (spawner_.in_flight() == 0) early_exits_.clear();
  make_spare();
  for (auto& then : waiting) then();
  maybe_all_stopped();
}

bool Jobs::after_spawn(const std::string& name, std::function<void()> then) {
  auto it = spawning_.find(name);
  if (it == spawning_.end()) return false;
  it->second.push_back(std::move(then));
  return true;
}

void Jobs::stop(const std::string& name, Reply reply) {
  if (takeover_.wait_for_take([=, this] { stop(name, reply); })) return;
  if (after_spawn(name, [=, this] { stop(name, reply); })) return;
  Run* run = runs_.current(name);
  if (!run || run->exited) return reply(Code::kFailed, "job \"" + name + "\" is not running");
  run->stop_waiters.push_back(std::move(reply));
  if (run->stopping) return;
  run->stopping = true;
  seg_.table().mark_stopping(run->slot);
  if (kill(-run->pid, run->settings.stop_signal) != 0) kill(run->pid, run->settings.stop_signal);
  kill_group_later(*run, run->settings.stop_timeout);
}

void Jobs::restart(const std::string& name, const std::string& settings_json, Reply reply) {
  if (takeover_.wait_for_take([=, this] { restart(name, settings_json, reply); })) return;
  if (!running(name)) return reply(Code::kFailed, "job \"" + name + "\" is not running");
  stop(name, [=, this](Code code, const std::string& error) {
    if (code != Code::kOk) return reply(code, error);
    start(name, settings_json, [=, this](Code c, const std::string& e) {
      if (c == Code::kOk) seg_.table().count_restart(runs_.current(name)->slot);
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
    Run* run = runs_.watched(pid);
    if (!run) {
      if (spawner_.in_flight()) early_exits_[pid] = status;
      continue;
    }
    runs_.unwatch(*run);
    exited(*run, status);
  }
}

// The output the process wrote before it died comes first, then the exit.
void Jobs::exited(Run& run, int status) {
  run.exited = true;
  pump_.drain(run);
  const int64_t now = pump_.clock().seconds();
  keep_history(run, status, now);  // its last lines before the exit line
  pump_.record(run, exit_line(run.name, status));
  seg_.table().record_exit(run.slot, status, now);
  // What is left of the group goes too, as systemd does, so that a new
  // start never runs beside the remains of this one.
  if (!run.foreign && group_alive(run.pid)) {
    if (!run.stopping) {  // a STOP has sent its signal and armed its timer already
      kill(-run.pid, SIGTERM);
      kill_group_later(run, run.settings.stop_timeout);
    }
  } else {
    // Reaped, and no process left in its group: from now on its pid and
    // group id may be anyone's (and the restart after a crash is spared
    // asking again before it clones).
    run.foreign = true;
    if (run.kill_timer) uv_timer_stop(run.kill_timer);
  }
  auto waiters = std::exchange(run.stop_waiters, {});
  auto queued = std::exchange(run.queued, {});
  bool requested = std::exchange(run.stopping, false);
  shm::JobInfo info;
  int64_t started = seg_.table().read(run.slot, info) ? info.started_at : 0;
  // The master knows of the exit before anyone is told the job stopped: a
  // supervisor that died right after that answer must not leave the job
  // to be handed back to its successor as running.
  takeover_.exited(run, status, waiters.empty() ? Takeover::When::kThisTurn : Takeover::When::kNow);
  // Before the waiters: a RESTART's start replaces this run.
  if (on_exit_) on_exit_(run.name, requested, started ? now - started : 0);
  for (auto& w : waiters) w(Code::kOk, {});
  for (auto& q : queued) q();
  maybe_all_stopped();
}

// The run as the job's history keeps it: why it began, how it ended, and
// the last lines it wrote.
void Jobs::keep_history(const Run& run, int status, int64_t now) {
  shm::JobInfo info;
  if (!seg_.table().read(run.slot, info)) return;
  shm::RunRecord rec{};
  rec.started_at = info.started_at;
  rec.exited_at = now;
  rec.exit_code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  rec.exit_signal = status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  rec.reason = static_cast<uint8_t>(info.start_reason);
  std::string tail;
  for (const auto& line : seg_.job_ring(run.slot).last(shm::kTailLines)) {
    if (!tail.empty()) tail += '\n';
    tail += line.text;
  }
  // The newest lines are the ones worth keeping when they do not all fit.
  if (tail.size() > shm::kTailBytes) tail.erase(0, tail.size() - shm::kTailBytes);
  rec.tail_len = static_cast<uint32_t>(tail.size());
  std::memcpy(rec.tail, tail.data(), tail.size());
  seg_.history().append(run.slot, rec);
}

// An earlier run of a job being started again: whatever of it is left dies
// now, and its pipes close (the last of the two tells the master to let go).
void Jobs::retire(std::unique_ptr<Run> run) {
  if (!run->foreign && group_alive(run->pid)) kill(-run->pid, SIGKILL);
  runs_.unwatch(*run);
  run->exited = true;
  pump_.close(*run);
  close_run_handles(*run);
}

void Jobs::forget(const std::string& name) {
  Run* run = runs_.current(name);
  if (!run || !run->exited) return;
  retire(runs_.take(name));
}

void Jobs::stop_all(std::function<void()> done) {
  all_stopped_ = std::move(done);
  for (auto& [name, waiting] : spawning_) waiting.push_back([this, name] { stop(name, [](Code, const std::string&) {}); });
  for (Run* run : runs_.all())
    if (!run->exited) stop(run->name, [](Code, const std::string&) {});
  maybe_all_stopped();
}

void Jobs::maybe_all_stopped() {
  if (!all_stopped_ || !spawning_.empty() || !runs_.all_exited()) return;
  pump_.close_logs();
  for (Run* run : runs_.all()) retire(runs_.take(run->name));
  std::exchange(all_stopped_, nullptr)();
}

}  // namespace backend::worker
