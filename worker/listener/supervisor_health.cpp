#include "worker/listener/supervisor_health.h"

#include <memory>

#include "shm/lock.h"

namespace backend::worker {
namespace {

// One ping: answered by the supervisor or by the deadline, whichever comes
// first; the other finds it answered.
struct Probe {
  uv_timer_t timer;
  SupervisorHealth::Done done;
  bool answered = false;
  void answer(std::optional<std::string> problem) {
    if (answered) return;
    answered = true;
    uv_timer_stop(&timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), [](uv_handle_t* h) {
      delete static_cast<std::shared_ptr<Probe>*>(h->data);
    });
    done(std::move(problem));
  }
};

}  // namespace

std::optional<std::string> SupervisorHealth::known_problem() const {
  // The listener may serve as another user than the supervisor's: EPERM
  // is a live process too (pid_alive).
  if (!shm::pid_alive(seg_.header().supervisor_pid.load()))
    return "the supervisor is not running; the master is starting it again";
  return std::nullopt;
}

void SupervisorHealth::check(Done done) {
  auto probe = std::make_shared<Probe>();
  probe->done = std::move(done);
  uv_timer_init(loop_, &probe->timer);
  probe->timer.data = new std::shared_ptr<Probe>(probe);  // the timer's hold, let go when it is closed
  uv_timer_start(&probe->timer, [](uv_timer_t* t) {
    (*static_cast<std::shared_ptr<Probe>*>(t->data))
        ->answer("the supervisor did not answer within " + std::to_string(kAnswerMs) + " ms");
  }, kAnswerMs, 0);
  supervisor_.ping([probe](std::string_view) { probe->answer(std::nullopt); });
}

}  // namespace backend::worker
