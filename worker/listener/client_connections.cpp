#include "worker/listener/client_connections.h"

#include <sys/resource.h>

#include <algorithm>

#include "worker/common/log.h"

namespace backend::worker {
namespace {

struct WriteReq {
  uv_write_t req;
  std::string data;
};

void alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf) {
  // Each read is consumed before the next one starts, so one buffer serves
  // every connection.
  static char storage[64 * 1024];
  *buf = uv_buf_init(storage, sizeof storage);
}

}  // namespace

ClientConnections::ClientConnections(uv_loop_t* loop, const conf::Config& config, size_t fds_kept)
    : loop_(loop), config_(config) {
  rlimit fds{};
  size_t reserved = kReservedFds + fds_kept;
  fd_room_ = getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur >= reserved + kReservedFds ? fds.rlim_cur - reserved
                                                                                     : kReservedFds;
  if (config_.max_connections > fd_room_)
    spdlog::warn("listener: max_connections is {}, but the fd limit ({}) leaves room for {}; more are refused",
                 config_.max_connections, fds.rlim_cur, fd_room_);
}

int ClientConnections::serve(uv_stream_t* server, SessionFactory* sessions) {
  served_.push_back(std::make_unique<Served>(Served{this, sessions}));
  server->data = served_.back().get();
  return uv_listen(server, 1024, on_connection);
}

void ClientConnections::on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  static_cast<Served*>(server->data)->self->accept_one(server);
}

void ClientConnections::accept_one(uv_stream_t* server) {
  auto* c = new Connection;
  c->owner = this;
  c->session = (*static_cast<Served*>(server->data)->sessions)(*this);
  bool tcp = server->type == UV_TCP;
  if (tcp)
    uv_tcp_init(loop_, &c->socket.tcp);
  else
    uv_pipe_init(loop_, &c->socket.pipe, 0);
  uv_timer_init(loop_, &c->timer);
  c->stream()->data = c->timer.data = c;
  c->open_handles = 2;
  open_.insert(c);
  if (uv_accept(server, c->stream()) < 0) {
    close(*c);
    return;
  }
  if (open_.size() > connection_limit()) return refuse(*c);
  if (tcp) {
    uv_tcp_nodelay(&c->socket.tcp, 1);
    sockaddr_storage addr{};
    int len = sizeof addr;
    char name[INET6_ADDRSTRLEN] = "";
    if (uv_tcp_getpeername(&c->socket.tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      if (addr.ss_family == AF_INET6)
        uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&addr), name, sizeof name);
      else
        uv_ip4_name(reinterpret_cast<sockaddr_in*>(&addr), name, sizeof name);
    }
    c->session->set_peer(name);
  }
  c->last_active = uv_now(loop_);
  arm_timer(*c);
  uv_read_start(c->stream(), alloc_cb, on_read);
}

size_t ClientConnections::connection_limit() const { return std::min<size_t>(config_.max_connections, fd_room_); }

// Past the limit the client is told why, as the answer to whatever it asks
// first, instead of finding its connection cut without a word.
void ClientConnections::refuse(Connection& c) {
  bool by_fds = connection_limit() < config_.max_connections;
  c.session->refuse("the server already serves its limit of " + std::to_string(connection_limit()) +
                        " connections (" + (by_fds ? "its fd limit" : "max_connections") + "); try again later",
                    c.out);
  c.close_after_write = true;
  flush(c);
}

void ClientConnections::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  ClientConnections& self = *c->owner;
  if (nread == UV_EOF) {
    // A half-closed client still gets every answer to what it sent.
    c->peer_closed = true;
    uv_read_stop(stream);
    return self.process(*c);
  }
  if (nread < 0) return self.close(*c);
  if (nread == 0) return;
  c->last_active = uv_now(self.loop_);
  bool was_mid_request = c->session->mid_request();
  uint64_t requests_before = c->requests;
  c->session->feed(buf->base, static_cast<size_t>(nread));
  self.process(*c);
  // Whatever is left half-received began with this read, unless this read
  // only added to a request that is still not whole.
  if (!was_mid_request || c->requests != requests_before) c->request_started = c->last_active;
}

// Handles whole requests in order. A request answered later pauses the
// connection until its reply is out, so that pipelined replies never
// overtake.
void ClientConnections::process(Connection& c) {
  while (!c.waiting_ticket && !c.close_after_write && !c.closing && !throttle(c)) {
    uint64_t ticket = next_ticket_;
    Session::Step step = c.session->step(c.out, ticket);
    if (step == Session::Step::kNeedMore) break;
    ++c.requests;
    if (step == Session::Step::kWaiting) {
      ++next_ticket_;
      wait(c, ticket);
    } else if (step == Session::Step::kEnd) {
      c.close_after_write = true;
      uv_read_stop(c.stream());
    }
    if (c.session->streaming()) watch_stream(c);
  }
  flush(c);
}

// A connection that became an event stream is pumped by the stream timer
// until it closes; what its client sends now is read only to see it go.
void ClientConnections::watch_stream(Connection& c) {
  if (!streams_.insert(&c).second) return;
  if (!stream_timer_) {
    stream_timer_ = new uv_timer_t;
    uv_timer_init(loop_, stream_timer_);
    stream_timer_->data = this;
  }
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(stream_timer_)))
    uv_timer_start(stream_timer_, [](uv_timer_t* t) { static_cast<ClientConnections*>(t->data)->pump_streams(); },
                   kStreamTickMs, kStreamTickMs);
}

void ClientConnections::pump_streams() {
  for (Connection* c : std::vector<Connection*>(streams_.begin(), streams_.end())) {
    if (c->closing || c->close_after_write) continue;
    if (c->out.size() + uv_stream_get_write_queue_size(c->stream()) > kMaxStreamBacklog) {
      close(*c);
      continue;
    }
    if (!c->session->pump(c->out)) {
      c->close_after_write = true;
      uv_read_stop(c->stream());
    }
    if (!c->out.empty() || c->close_after_write) {
      c->last_active = uv_now(loop_);
      flush(*c);
    }
  }
  if (streams_.empty()) uv_timer_stop(stream_timer_);
}

void ClientConnections::wait(Connection& c, uint64_t ticket) {
  waiting_[ticket] = &c;
  c.waiting_ticket = ticket;
  uv_read_stop(c.stream());
}

void ClientConnections::answered(uint64_t ticket, std::string framed_reply) {
  auto it = waiting_.find(ticket);
  if (it == waiting_.end()) return;  // its client left
  Connection& c = *it->second;
  waiting_.erase(it);
  c.waiting_ticket = 0;
  if (!c.session->answered(std::move(framed_reply), c.out)) {
    c.close_after_write = true;
    uv_read_stop(c.stream());
  }
  if (c.session->streaming()) watch_stream(c);
  resume_reading(c);
}

// A connection that waited for an answer goes on with what it sent next.
void ClientConnections::resume_reading(Connection& c) {
  if (c.closing || c.waiting_ticket) return;
  if (!c.peer_closed && !c.throttled && !stopping_) uv_read_start(c.stream(), alloc_cb, on_read);
  process(c);
}

// A client that sends requests but does not read the replies would make the
// listener hold them all: past a limit it is read from no more until it
// has taken in what it was sent.
bool ClientConnections::throttle(Connection& c) {
  constexpr size_t kMaxUnsent = 4u << 20;
  size_t unsent = c.out.size() + uv_stream_get_write_queue_size(c.stream());
  if (unsent <= kMaxUnsent) return false;
  if (!c.throttled) uv_read_stop(c.stream());
  c.throttled = true;
  return true;
}

void ClientConnections::flush(Connection& c) {
  if (!c.out.empty() && !c.closing) {
    uv_buf_t b = uv_buf_init(c.out.data(), static_cast<unsigned>(c.out.size()));
    int n = uv_try_write(c.stream(), &b, 1);
    if (n == static_cast<int>(c.out.size())) {
      c.out.clear();
    } else if (n >= 0 || n == UV_EAGAIN) {
      auto* w = new WriteReq;
      // The unsent rest is written from the buffer itself, moved, not
      // copied: a scrape of /metrics is most of a megabyte.
      size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
      w->data = std::move(c.out);
      w->req.data = &c;
      c.out = std::string();
      ++c.writes_in_flight;
      uv_buf_t rest = uv_buf_init(w->data.data() + sent, static_cast<unsigned>(w->data.size() - sent));
      uv_write(&w->req, c.stream(), &rest, 1, [](uv_write_t* req, int) {
        auto* wr = reinterpret_cast<WriteReq*>(req);
        auto* conn = static_cast<Connection*>(req->data);
        delete wr;
        --conn->writes_in_flight;
        conn->owner->note_write_progress(*conn);
        // Cancelled writes call back before the close does: conn is alive.
        if (!conn->closing) conn->owner->resume(*conn);
      });
      note_write_progress(c);
    } else {
      c.out.clear();
      return close(c);
    }
  }
  // Frames held back by throttle() still wait to be answered: go on with
  // them once the replies went out, before closing.
  if (c.throttled) {
    if (!throttle(c)) resume(c);
    return;
  }
  bool done = c.close_after_write || (c.peer_closed && !c.waiting_ticket);
  if (done && c.out.empty() && c.writes_in_flight == 0) close(c);
}

// After a write completed: go on with a connection held back by throttle().
void ClientConnections::resume(Connection& c) {
  if (c.throttled && !throttle(c)) {
    c.throttled = false;
    if (!c.peer_closed && !c.waiting_ticket && !stopping_) uv_read_start(c.stream(), alloc_cb, on_read);
    return process(c);
  }
  if (!c.throttled) flush(c);
}

// The idle timer sees a client that takes in its replies as active: the
// write queue shrinking since this baseline is progress.
void ClientConnections::note_write_progress(Connection& c) {
  c.last_active = uv_now(loop_);
  c.queued_at_tick = uv_stream_get_write_queue_size(c.stream());
}

void ClientConnections::close(Connection& c) {
  if (c.closing) return;
  c.closing = true;
  open_.erase(&c);
  streams_.erase(&c);
  if (c.waiting_ticket) waiting_.erase(c.waiting_ticket);
  auto done = [](uv_handle_t* h) {
    auto* conn = static_cast<Connection*>(h->data);
    if (--conn->open_handles == 0) delete conn;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(c.stream()), done);
  uv_close(reinterpret_cast<uv_handle_t*>(&c.timer), done);
  if (stopping_ && open_.empty()) finish_stop();
}

void ClientConnections::arm_timer(Connection& c) {
  uint64_t idle = uint64_t(config_.idle_timeout) * 1000;
  uint64_t quiet = uv_now(loop_) - c.last_active;
  uv_timer_start(&c.timer, on_timer, quiet >= idle ? idle : idle - quiet, 0);
}

void ClientConnections::on_timer(uv_timer_t* timer) {
  auto* c = static_cast<Connection*>(timer->data);
  ClientConnections& self = *c->owner;
  uint64_t idle = uint64_t(self.config_.idle_timeout) * 1000;
  // A request still being worked on is not idleness, nor is a client still
  // taking in the replies it asked for.
  size_t queued = uv_stream_get_write_queue_size(c->stream());
  // Nor is an event stream: it is quiet by nature, and one whose reader
  // stopped reading is closed by its backlog instead.
  if (c->waiting_ticket || queued < c->queued_at_tick || self.streams_.count(c)) c->last_active = uv_now(self.loop_);
  c->queued_at_tick = queued;
  uint64_t now = uv_now(self.loop_);
  if (now - c->last_active >= idle) return self.close(*c);
  // A request trickling in a byte at a time is a stall too: it gets the same
  // time from its first byte as an idle connection gets.
  if (!c->waiting_ticket && !c->throttled && c->session->mid_request() && now - c->request_started >= idle)
    return self.close(*c);
  self.arm_timer(*c);
}

void ClientConnections::stop(std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  stopped_ = std::move(done);
  drain_timer_ = new uv_timer_t;
  uv_timer_init(loop_, drain_timer_);
  drain_timer_->data = this;
  uv_timer_start(drain_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<ClientConnections*>(t->data);
    for (Connection* c : std::vector<Connection*>(self->open_.begin(), self->open_.end())) self->close(*c);
    self->finish_stop();
  }, kDrainMs, 0);
  for (Connection* c : std::vector<Connection*>(open_.begin(), open_.end())) {
    c->close_after_write = true;
    uv_read_stop(c->stream());
    if (!c->waiting_ticket) flush(*c);
  }
  if (open_.empty()) finish_stop();
}

void ClientConnections::finish_stop() {
  if (stream_timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(stream_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    stream_timer_ = nullptr;
  }
  if (drain_timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(drain_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    drain_timer_ = nullptr;
  }
  if (auto done = std::exchange(stopped_, nullptr)) done();
}

}  // namespace backend::worker
