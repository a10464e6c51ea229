#include "plugins/timer.h"

namespace backend::plugins {

struct Timer::Handle {
  uv_timer_t timer;
  std::function<void()> fn;
};

Timer::Timer(uv_loop_t* loop) : h_(new Handle) {
  uv_timer_init(loop, &h_->timer);
  h_->timer.data = h_;
}

Timer::~Timer() { close(); }

void Timer::start(uint64_t ms, std::function<void()> fn, uint64_t repeat_ms) {
  if (!h_) return;
  h_->fn = std::move(fn);
  uv_timer_start(&h_->timer, [](uv_timer_t* t) {
    auto* h = static_cast<Handle*>(t->data);
    // fn may re-arm this timer, replacing itself: run a copy.
    auto fn = h->fn;
    fn();
  }, ms, repeat_ms);
}

void Timer::stop() {
  if (h_) uv_timer_stop(&h_->timer);
}

bool Timer::active() const { return h_ && uv_is_active(reinterpret_cast<uv_handle_t*>(&h_->timer)); }

void Timer::close() {
  if (!h_) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&h_->timer), [](uv_handle_t* t) { delete static_cast<Handle*>(t->data); });
  h_ = nullptr;
}

}  // namespace backend::plugins
