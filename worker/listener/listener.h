// The listener worker: accepts clients, frames requests, answers queries from
// shared memory and forwards the rest to the supervisor, never blocking.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <uv.h>

#include "protocol/commands.h"
#include "protocol/request.h"
#include "worker/ipc/channel.h"
#include "worker/listener/connection.h"
#include "worker/common/context.h"
#include "worker/common/plugin_host.h"
#include "worker/listener/queries.h"

namespace backend::worker {

class Listener {
 public:
  explicit Listener(WorkerContext& ctx);
  int run();

 private:
  static void on_connection(uv_stream_t* server, int status);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_timer(uv_timer_t* timer);

  void wait_for_table();
  std::vector<uv_stream_t*> servers();
  void accept_one(uv_stream_t* server);
  void refuse(Connection& c);
  void process(Connection& c);
  // Where a command goes: a core command, or a plugin's.
  struct Route {
    const protocol::CommandInfo* info = nullptr;
    std::optional<PluginHost::Command> plugin;
  };
  void handle(Connection& c, std::string_view payload);
  void refuse(Connection& c, const std::string& command, const plugins::Reply& r);
  void admit_later(Connection& c, const protocol::Request& req, Route route,
                   std::function<void(plugins::Decided)> later);
  void dispatch(Connection& c, protocol::Request& req, const Route& route);
  void resume_reading(Connection& c);
  void forward(Connection& c, const std::string& command, std::string body);
  void run_plugin(Connection& c, plugins::Plugin& plugin, const std::string& command,
                  const rapidjson::Value& params, bool changes_state);
  void wait_for_answer(Connection& c, uint64_t id);
  void on_supervisor(uint64_t id, std::string_view payload);
  void save_plugin_file(const std::string& plugin, const std::string& file, std::string content,
                        plugins::Host::Saved saved);
  void supervisor_restarted(std::string_view payload);
  void flush(Connection& c);
  bool throttle(Connection& c);
  void resume(Connection& c);
  void note_write_progress(Connection& c);
  void close(Connection& c);
  void arm_timer(Connection& c);
  void reload();
  void stop();
  void finish_stop();
  std::vector<Connection*> open_connections();

  // Ids of answers a listener plugin will give: apart from the ids sent to
  // the supervisor, whose restart fails the ones it took.
  static constexpr uint64_t kPluginCalls = uint64_t(1) << 63;

  WorkerContext& ctx_;
  const shm::Segment& seg_;
  Queries queries_;
  uv_loop_t loop_;
  uv_tcp_t server_;
  std::unique_ptr<uv_pipe_t> unix_server_;  // unix_socket's, when set
  uv_timer_t ready_timer_;
  uv_timer_t drain_timer_;
  unsigned ready_polls_ = 0;
  uv_signal_t sigterm_, sighup_, sigusr1_;
  std::unique_ptr<Channel> channel_;
  PluginHost plugins_;
  uint64_t next_plugin_call_ = kPluginCalls;
  std::unordered_map<uint64_t, Connection*> pending_;
  // The listener's own requests to the supervisor (plugin files), by id.
  std::unordered_map<uint64_t, std::function<void(std::string_view reply)>> calls_;
  uint64_t next_id_;
  // Connections not yet closing, by which stop() finds what to drain.
  std::unordered_set<Connection*> open_;
  // Connections this process has fds for, keeping some for its own use:
  // max_connections above it would end in accept() failing with EMFILE,
  // where nobody can be told why.
  size_t fd_room_ = 0;
  static constexpr size_t kReservedFds = 64;
  size_t connection_limit() const;
  bool stopping_ = false;
};

// The listener worker's main (worker/common/context.h).
int run_listener(WorkerContext& ctx);

}  // namespace backend::worker
