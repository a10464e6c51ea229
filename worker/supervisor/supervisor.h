// The supervisor worker: the only writer of job settings and of the job
// table. Takes requests from the listener over the channel.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>
#include <uv.h>

#include "plugins/plugin.h"
#include "protocol/request.h"
#include "protocol/response.h"
#include "worker/ipc/channel.h"
#include "worker/common/context.h"
#include "worker/ipc/control.h"
#include "worker/supervisor/jobs.h"
#include "worker/common/plugin_host.h"
#include "worker/supervisor/settings_store.h"

namespace backend::worker {

class Supervisor : private plugins::JobControl {
 public:
  explicit Supervisor(WorkerContext& ctx);
  int run();

 private:
  // What plugins may do with jobs.
  std::vector<std::string> job_names() const override;
  const std::string* settings(const std::string& job) const override;
  bool running(const std::string& job) const override;
  void start(const std::string& job, shm::StartReason reason, Result result) override;
  void put(const std::string& job, const std::string& settings, Result result) override;
  void stop(const std::string& job, Result result) override;
  void remove(const std::string& job, Result result) override;

  const std::string* startable(const std::string& job) const;
  void on_channel(ChannelKind kind, uint64_t id, std::string_view payload);
  void on_request(uint64_t id, std::string_view payload);
  void run_plugin(uint64_t id, const Command& command);
  void save_plugin_file(uint64_t id, std::string_view payload);
  void reply(uint64_t id, protocol::Code code, std::string_view error = {}, std::string_view data = {});
  void add(uint64_t id, const std::string& job, const rapidjson::Value& params);
  void update(uint64_t id, const std::string& job, const rapidjson::Value& params);
  void remove(uint64_t id, const std::string& job);
  void control(uint64_t id, protocol::CoreCommand cmd, const std::string& job);
  void save_then_publish(uint64_t id, const std::string& job);
  void save_then_publish(const std::string& job, Result done);
  void publish(const std::string& job);
  void publish_all();
  void on_control(ControlMessage& message, std::vector<int>& fds);
  void adopt_held(const Held& held, std::vector<int>& fds);
  void adopt_orphan(const Orphan& orphan);
  void reload();
  void on_master_death();
  void stop();
  void close_loop();

  WorkerContext& ctx_;
  const shm::Segment& seg_;
  uv_loop_t loop_;
  uv_signal_t sigterm_, sighup_, sigusr1_, sigchld_, master_death_;
  // Runs as each turn of the loop ends, before it sleeps: wakes the log
  // writer and sends the master what could wait (Control::send_later), once
  // for the whole turn.
  uv_prepare_t turn_end_;
  std::unique_ptr<Channel> channel_;
  std::unique_ptr<SettingsStore> store_;
  std::unique_ptr<Jobs> jobs_;
  std::unique_ptr<Control> control_;
  PluginHost plugins_;
  // Requests being worked on, for the command-finished hook.
  std::unordered_map<uint64_t, std::unique_ptr<protocol::Request>> in_flight_;
  bool stopping_ = false;
  uint64_t taken_before_ = 0;  // the last request id a predecessor noted taking
};

// The supervisor worker's main (worker/common/context.h).
int run_supervisor(WorkerContext& ctx);

}  // namespace backend::worker
