// A socket watched by the loop for reading, and for writing while it has
// messages queued: the part the listener-supervisor channel and the
// supervisor-master control socket share. Subclasses read and write.
#pragma once

#include <uv.h>

namespace backend::worker {

class PolledSocket {
 public:
  PolledSocket(uv_loop_t* loop, int fd);
  virtual ~PolledSocket();
  PolledSocket(const PolledSocket&) = delete;
  PolledSocket& operator=(const PolledSocket&) = delete;

  void close();
  bool closed() const { return poll_ == nullptr; }

 protected:
  // Starts watching; subclasses call it at the end of their constructor.
  void watch();
  virtual void read_all() = 0;
  virtual void write_queued() = 0;
  virtual bool has_queued() const = 0;

  int fd_;

 private:
  static void on_poll(uv_poll_t* handle, int status, int events);
  uv_poll_t* poll_;
  // The events the poll watches now (-1: not started). libuv stops and
  // starts a poll anew on every uv_poll_start, two epoll_ctl calls, so it
  // is called only when they change.
  int events_ = -1;
};

}  // namespace backend::worker
