// The listener's clients, whatever they speak (session.h): each
// connection's requests in, in order, and its replies out, in the same
// order; a client that sends without reading is read from no more until it
// has taken in its replies (backpressure); an idle or stalled client is
// closed; past the connection limit a client is told why. Stopping lets
// every client finish what it asked for, within a bound.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <uv.h>

#include "conf/config.h"
#include "worker/listener/connection.h"
#include "worker/listener/router.h"
#include "worker/listener/session.h"

namespace backend::worker {

class ClientConnections : public Router::Front {
 public:
  // `fds_kept` are the fds the listener keeps open for other ends (the
  // /proc files of /metrics): connections leave room for them.
  ClientConnections(uv_loop_t* loop, const conf::Config& config, size_t fds_kept = 0);

  // What a new connection of a listening socket speaks.
  using SessionFactory = std::function<std::unique_ptr<Session>(Router::Front& front)>;
  // Listens on a bound TCP or Unix socket and accepts its clients; the
  // libuv error, or 0. The factory lives as long as the server.
  int serve(uv_stream_t* server, SessionFactory* sessions);
  // Takes no more requests; every client gets the answers to what it sent,
  // then is closed, or is closed after kDrainMs anyway. `done` is called
  // once no connection is left.
  void stop(std::function<void()> done);

  // Connections open now (/metrics).
  size_t count() const { return open_.size(); }

  bool waiting(uint64_t ticket) const override { return waiting_.count(ticket) > 0; }
  void answered(uint64_t ticket, std::string framed_reply) override;

  static constexpr uint64_t kDrainMs = 5000;
  // How often open event streams are asked for news: a line a job printed
  // reaches a page within this, plus the time to write it.
  static constexpr uint64_t kStreamTickMs = 20;
  // An event stream whose reader lets this much pile up is closed: its page
  // reconnects and resumes from where it stopped reading.
  static constexpr size_t kMaxStreamBacklog = 1u << 20;

 private:
  static void on_connection(uv_stream_t* server, int status);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_timer(uv_timer_t* timer);

  void accept_one(uv_stream_t* server);
  void refuse(Connection& c);
  void step(Connection& c);
  void process(Connection& c);
  void wait(Connection& c, uint64_t ticket);
  void resume_reading(Connection& c);
  void flush(Connection& c);
  bool throttle(Connection& c);
  void resume(Connection& c);
  void note_write_progress(Connection& c);
  void close(Connection& c);
  void arm_timer(Connection& c);
  void finish_stop();
  size_t connection_limit() const;
  void watch_stream(Connection& c);
  void pump_streams();

  // A listening socket's handle data: whose it is, and what its clients speak.
  struct Served {
    ClientConnections* self;
    SessionFactory* sessions;
  };
  std::vector<std::unique_ptr<Served>> served_;
  uv_loop_t* loop_;
  const conf::Config& config_;
  uint64_t next_ticket_ = 1;
  // Connections waiting for an answer that comes later, by ticket.
  std::unordered_map<uint64_t, Connection*> waiting_;
  // Connections not yet closing, by which stop() finds what to drain.
  std::unordered_set<Connection*> open_;
  // Connections this process has fds for, keeping some for its own use:
  // max_connections above it would end in accept() failing with EMFILE,
  // where nobody can be told why.
  size_t fd_room_ = 0;
  static constexpr size_t kReservedFds = 64;
  bool stopping_ = false;
  uv_timer_t* drain_timer_ = nullptr;
  // Connections that are event streams, and the timer that pumps them
  // (made with the first one).
  std::unordered_set<Connection*> streams_;
  uv_timer_t* stream_timer_ = nullptr;
  std::function<void()> stopped_;
};

}  // namespace backend::worker
