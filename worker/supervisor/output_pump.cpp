#include "worker/supervisor/output_pump.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "shm/job_table.h"
#include "shm/ring.h"
#include "worker/common/log.h"
#include "worker/supervisor/output_capture.h"

namespace backend::worker {

// One of a run's two pipes. Heap-held so that it can outlive its run until
// libuv has closed it.
struct OutputStream {
  OutputStream(OutputPump* p, Run* r, int pipe_fd, std::shared_ptr<Stage> st, bool is_err, shm::Ring ring)
      : pump(p), run(r), stage(std::move(st)), capture(pipe_fd, stage->fd, is_err, ring) {}
  uv_poll_t poll;
  OutputPump* pump;
  Run* run;  // null once the run let go of it
  std::shared_ptr<Stage> stage;
  OutputCapture capture;
  bool closed = false;
  bool paused = false;
  bool held = false;  // not read until the log queue has room (hold())

  // Moves at most `limit` bytes on.
  OutputCapture::Pumped move(size_t limit) {
    std::string_view prefix = pump->clock_.prefix();
    return capture.pump(limit, prefix, [this, prefix](uint64_t first, const std::vector<std::string_view>& lines) {
      if (!run) return;
      pump->seg_.table().count_output(run->slot, capture.is_err() ? 1 : 0, lines.size());
      pump->log_lines(*run, capture.is_err(), first, lines, prefix);
    });
  }
  void close();
  // Polls the pipe again (after open, a pause or a hold).
  void watch() { uv_poll_start(&poll, UV_READABLE | UV_DISCONNECT, on_readable); }
  static void on_readable(uv_poll_t* h, int status, int events);
};

namespace {

// "[26-11-24 15:18:36] text" -> "2026112415", the hour the line belongs to.
std::string hour_of_prefix(const std::string& line) {
  if (line.size() < 20 || line[0] != '[') return "0000000000";
  return "20" + line.substr(1, 2) + line.substr(4, 2) + line.substr(7, 2) + line.substr(10, 2);
}

}  // namespace

Stage::~Stage() {
  if (fd >= 0) ::close(fd);
}

OutputPump::OutputPump(uv_loop_t* loop, const shm::Segment& segment, std::string log_dir)
    : loop_(loop), seg_(segment), log_dir_(std::move(log_dir)), logs_(loop), resume_timer_(new uv_timer_t) {
  uv_timer_init(loop_, resume_timer_);
  resume_timer_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(resume_timer_));
  logs_.set_on_room([this] { release_held(); });
}

OutputPump::~OutputPump() { close_timer(); }

void OutputPump::close_timer() {
  if (!resume_timer_) return;
  uv_close(reinterpret_cast<uv_handle_t*>(resume_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  resume_timer_ = nullptr;
}

void OutputPump::open(Run& run, int out_fd, int err_fd, const std::shared_ptr<Stage>& stage) {
  for (auto [fd, is_err] : {std::pair{out_fd, false}, {err_fd, true}}) {
    if (fd < 0) continue;
    auto* o = new OutputStream(this, &run, fd, stage, is_err, seg_.job_ring(run.slot));
    o->capture.resume();
    uv_poll_init(loop_, &o->poll, fd);
    o->poll.data = o;
    o->watch();
    (is_err ? run.err : run.out) = o;
  }
}

void OutputStream::on_readable(uv_poll_t* h, int status, int) {
  auto* o = static_cast<OutputStream*>(h->data);
  if (status < 0) return o->close();
  auto p = o->move(OutputPump::kPumpBytes);
  if (p.end) return o->close();
  if (o->pump->hold(*o)) return;
  if (p.bytes > 0 && p.bytes < OutputPump::kTrickleBytes) o->pump->pause(*o);
}

// While the log queue is full, a logged stream is left in its pipe: the job
// waits for room as it would writing to a slow file itself, and the
// supervisor's memory stays bounded. Before this, a job writing faster than
// the disk took grew the queue for as long as it wrote (batches of tens of
// MiB, each a new buffer whose every page faulted: a fifth of the
// supervisor's time in a profile of 200 MB of output).
bool OutputPump::hold(OutputStream& o) {
  if (!logs_.full() || !o.run || !o.run->settings.writelog) return false;
  uv_poll_stop(&o.poll);
  o.held = true;
  held_.push_back(&o);
  return true;
}

void OutputPump::release_held() {
  auto held = std::move(held_);
  held_.clear();
  for (OutputStream* o : held) {
    o->held = false;
    o->watch();
  }
}

// A job writing a little at a time is read a little later, many lines per
// wakeup instead of one: a hundred jobs printing every millisecond would
// otherwise cost a wakeup, a splice and a ring commit per line. A job that
// fills the pipe is never paused.
void OutputPump::pause(OutputStream& o) {
  uv_poll_stop(&o.poll);
  o.paused = true;
  paused_.push_back(&o);
  if (resume_timer_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(resume_timer_))) arm_resume_timer();
}

void OutputPump::arm_resume_timer() {
  uv_timer_start(resume_timer_, [](uv_timer_t* t) { static_cast<OutputPump*>(t->data)->resume_paused(); },
                 kCoalesceMs, 0);
}

// Paused streams are read here, straight from the timer: a job still
// trickling stays paused (no epoll changes, no wakeup of its own), one that
// went quiet or speeds up is polled again.
void OutputPump::resume_paused() {
  auto paused = std::move(paused_);
  paused_.clear();
  for (OutputStream* o : paused) {
    o->paused = false;
    auto p = o->move(kPumpBytes);
    if (p.end) {
      o->close();
      continue;
    }
    if (hold(*o)) continue;
    if (p.bytes > 0 && p.bytes < kTrickleBytes) {
      o->paused = true;
      paused_.push_back(o);
    } else {
      o->watch();
    }
  }
  if (!paused_.empty()) arm_resume_timer();
}

void OutputStream::close() {
  if (closed) return;
  closed = true;
  pump->closed(*this);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll), [](uv_handle_t* h) {
    auto* o = static_cast<OutputStream*>(h->data);
    ::close(o->capture.pipe_fd());
    delete o;
  });
}

void OutputPump::closed(OutputStream& o) {
  if (o.paused) std::erase(paused_, &o);
  if (o.held) std::erase(held_, &o);
  Run* run = std::exchange(o.run, nullptr);
  if (!run) return;
  // libuv frees the stream once closed: the run must not point at it.
  (o.capture.is_err() ? run->err : run->out) = nullptr;
  if (!run->reading() && on_closed_) on_closed_(*run);
}

void OutputPump::close(Run& run) {
  for (OutputStream* o : {run.out, run.err})  // a copy: close() clears them
    if (o) o->close();
}

void OutputPump::drain(Run& run) {
  for (OutputStream* o : {run.out, run.err}) {
    if (!o || o->closed) continue;
    int queued = 0;
    if (ioctl(o->capture.pipe_fd(), FIONREAD, &queued) != 0) queued = 0;
    while (queued > 0) {
      size_t want = std::min<size_t>(size_t(queued), kPumpBytes);
      if (o->move(want).end) break;
      queued -= static_cast<int>(want);
    }
  }
}

void OutputPump::record(Run& run, const std::string& line) {
  spdlog::info("{}", line);
  std::string entry = clock_.prefix();
  entry.append(line);
  uint64_t number = seg_.job_ring(run.slot).append(entry, false);
  std::string_view text = entry;
  log_lines(run, false, number, {&text, 1}, {});
}

// Lines already in the ring, numbered from `first`, to the log file in one
// append; the prefix is added here unless the texts carry it.
void OutputPump::log_lines(Run& run, bool is_err, uint64_t first, std::span<const std::string_view> lines,
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
  std::atomic<uint64_t>* logged = seg_.table().log_progress(run.slot);
  logs_.append_lines(run.log_path[s], prefix, lines, {&logged[s], &seg_.table().log_intent(run.slot)[s], first, upto});
  run.appended[s] = upto;
  // The other stream has no line below upto still to write: its progress
  // moves along, so that a successor's catch-up starts here and a quiet
  // stream (stderr, mostly) never looks like lines lost.
  if (logged[other].load(std::memory_order_acquire) >= run.appended[other]) raise_to(logged[other], upto);
}

std::string OutputPump::log_path(const std::string& name, const std::string& hour, bool is_err) const {
  return log_dir_ + "/jobs/" + name + "/" + hour.substr(0, 8) + "/" + hour + (is_err ? ".error.log" : ".log");
}

// Nothing is lost and nothing doubled unless the ring itself dropped lines
// (a gap is logged).
// A write the predecessor was killed in may have reached the file, in part
// or whole, without being counted in `logged`: the file is cut back to the
// size it had before that write, and the lines are written again, once.
void OutputPump::cut_back_uncounted(Run& run, int s, const std::vector<shm::RingLine>& lines, uint64_t logged) {
  shm::LogIntent& intent = seg_.table().log_intent(run.slot)[s];
  uint64_t first = intent.first.load(std::memory_order_acquire);
  if (first == shm::kNoLogIntent || first < logged) return;  // that write was done and counted
  auto line = std::find_if(lines.begin(), lines.end(), [&](const shm::RingLine& l) { return l.number == first; });
  if (line == lines.end()) {
    spdlog::warn("job \"{}\": the log write a killed supervisor was in cannot be found; its lines may be logged twice",
                 run.name);
    return;
  }
  logs_.cut_back(log_path(run.name, hour_of_prefix(line->text), s == 1),
                 intent.bytes_before.load(std::memory_order_acquire));
  intent.first.store(shm::kNoLogIntent, std::memory_order_release);
}

void OutputPump::catch_up_logs(Run& run) {
  if (!run.settings.writelog) return;
  std::atomic<uint64_t>* logged = seg_.table().log_progress(run.slot);
  uint64_t upto[2] = {logged[0].load(), logged[1].load()};
  uint64_t next = 0;
  auto lines = seg_.job_ring(run.slot).since(std::min(upto[0], upto[1]), SIZE_MAX, next);
  if (!lines.empty() && lines.front().number > std::min(upto[0], upto[1]))
    spdlog::warn("job \"{}\": {} output lines left the buffer before they were logged", run.name,
                 lines.front().number - std::min(upto[0], upto[1]));
  shm::LogIntent* intents = seg_.table().log_intent(run.slot);
  for (int s : {0, 1}) cut_back_uncounted(run, s, lines, upto[s]);
  size_t written = 0;
  for (const auto& line : lines) {
    int s = line.is_err ? 1 : 0;
    if (line.number < upto[s]) continue;
    logs_.append(log_path(run.name, hour_of_prefix(line.text), line.is_err), line.text + "\n",
                 {&logged[s], &intents[s], line.number, line.number + 1});
    run.appended[s] = line.number + 1;
    ++written;
  }
  if (written)
    spdlog::info("job \"{}\": {} output lines the previous supervisor had not logged are logged", run.name, written);
}

}  // namespace backend::worker
