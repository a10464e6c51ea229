// The supervisor worker: the only writer of job settings and of the job
// table. Takes requests from the listener over the channel.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <uv.h>

#include "protocol/response.h"
#include "worker/channel.h"
#include "worker/context.h"
#include "worker/control.h"
#include "worker/jobs.h"
#include "worker/settings_store.h"

namespace backend::worker {

class Supervisor {
 public:
  explicit Supervisor(WorkerContext& ctx);
  int run();

 private:
  void on_request(uint64_t id, std::string_view payload);
  void reply(uint64_t id, protocol::Code code, std::string_view error = {});
  void add(uint64_t id, const std::string& job, const rapidjson::Value& params);
  void update(uint64_t id, const std::string& job, const rapidjson::Value& params);
  void remove(uint64_t id, const std::string& job);
  void control(uint64_t id, const std::string& cmd, const std::string& job);
  void save_then_publish(uint64_t id, const std::string& job);
  void publish(const std::string& job);
  void publish_all();
  void on_control(const std::string& text, std::vector<int>& fds);
  void reload();
  void stop();
  void close_loop();

  WorkerContext& ctx_;
  const shm::Segment& seg_;
  uv_loop_t loop_;
  uv_signal_t sigterm_, sighup_, sigusr1_, sigchld_;
  std::unique_ptr<Channel> channel_;
  std::unique_ptr<SettingsStore> store_;
  std::unique_ptr<Jobs> jobs_;
  std::unique_ptr<Control> control_;
  bool stopping_ = false;
  uint64_t taken_before_ = 0;  // the last request id a predecessor noted taking
};

}  // namespace backend::worker
