// A libuv timer owned by a plugin: start() re-arms it, close() ends it (the
// handle is freed once libuv is done with it, so a Timer may be destroyed
// right after close()).
#pragma once

#include <cstdint>
#include <functional>

#include <uv.h>

namespace backend::plugins {

class Timer {
 public:
  explicit Timer(uv_loop_t* loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Calls fn once after ms, then every repeat_ms when that is not 0.
  void start(uint64_t ms, std::function<void()> fn, uint64_t repeat_ms = 0);
  void stop();
  void close();
  bool active() const;

 private:
  struct Handle;
  Handle* h_;
};

}  // namespace backend::plugins
