// One client connection of the listener: requests in, replies out, in order.
#pragma once

#include <cstdint>
#include <string>

#include <uv.h>

#include <memory>

#include "worker/listener/session.h"

namespace backend::worker {

class ClientConnections;

struct Connection {
  // A TCP client or a Unix socket's: the same stream to everything else.
  union Socket {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } socket;
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&socket); }
  uv_timer_t timer;  // idle and stall timeout
  ClientConnections* owner = nullptr;
  std::unique_ptr<Session> session;  // what it speaks
  std::string out;                 // replies not yet handed to the kernel
  uint64_t waiting_ticket = 0;     // a request answered later: replies stay in order
  uint64_t last_active = 0;        // uv_now() of the last sign of life: bytes in or out
  size_t queued_at_tick = 0;       // write queue size at the last timer tick
  uint64_t request_started = 0;    // uv_now() when the request now half-received began
  uint64_t requests = 0;           // requests handled so far
  size_t writes_in_flight = 0;
  bool close_after_write = false;
  bool peer_closed = false;        // the client shut down its side: answer, then close
  bool throttled = false;          // replies pile up unread: stop taking requests
  bool closing = false;
  int open_handles = 0;
};

}  // namespace backend::worker
