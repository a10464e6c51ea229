#include "worker/common/pool.h"

#include "worker/common/log.h"

namespace backend::worker {
namespace {

struct PoolWork {
  uv_work_t req;
  std::function<void()> work;
  std::function<void()> after;
};

}  // namespace

void run_in_pool(uv_loop_t* loop, std::function<void()> work, std::function<void()> after) {
  auto* w = new PoolWork{{}, std::move(work), std::move(after)};
  w->req.data = w;
  int rc = uv_queue_work(
      loop, &w->req, [](uv_work_t* req) { static_cast<PoolWork*>(req->data)->work(); },
      [](uv_work_t* req, int) {
        auto* pw = static_cast<PoolWork*>(req->data);
        if (pw->after) pw->after();
        delete pw;
      });
  if (rc < 0) {
    // Only a loop that is closing refuses work; doing it here is still right.
    spdlog::warn("thread pool refused work ({}); running it on the loop", uv_strerror(rc));
    w->work();
    if (w->after) w->after();
    delete w;
  }
}

}  // namespace backend::worker
