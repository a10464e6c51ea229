// The listener worker: its loop, its signals and its sockets. It waits for
// the supervisor to load the jobs, then serves clients (client_connections.h)
// through the router (router.h), which answers queries from shared memory
// and sends the rest to the supervisor (supervisor_client.h); it never
// blocks.
#pragma once

#include <memory>
#include <vector>

#include <uv.h>

#include "worker/common/context.h"
#include "worker/common/plugin_host.h"
#include "worker/listener/client_connections.h"
#include "worker/listener/metrics.h"
#include "worker/listener/queries.h"
#include "worker/listener/router.h"
#include "worker/listener/supervisor_client.h"
#include "worker/listener/dashboard/dashboard.h"
#include "worker/listener/supervisor_health.h"

namespace backend::worker {

class Listener {
 public:
  explicit Listener(WorkerContext& ctx);
  int run();

 private:
  void wait_for_table();
  // Every listening socket, with what its clients speak.
  std::vector<std::pair<uv_stream_t*, ClientConnections::SessionFactory*>> servers();
  void save_plugin_file(const std::string& plugin, const std::string& file, std::string content,
                        plugins::Host::Saved saved);
  void sample_usage();
  void reload();
  void stop();
  void finish_stop();

  WorkerContext& ctx_;
  const shm::Segment& seg_;
  uv_loop_t loop_;
  uv_tcp_t server_;
  std::unique_ptr<uv_pipe_t> unix_server_;  // unix_socket's, when set
  std::unique_ptr<uv_tcp_t> http_server_;   // http_listen's, when set
  uv_timer_t ready_timer_;
  uv_timer_t usage_timer_;  // the dashboard's usage samples, once the table is ready
  bool sampling_ = false;
  bool usage_reading_ = false;  // a sample's /proc reads are under way on the pool
  unsigned ready_polls_ = 0;
  uv_signal_t sigterm_, sighup_, sigusr1_;
  Queries queries_;
  PluginHost plugins_;
  std::unique_ptr<SupervisorClient> supervisor_;
  std::unique_ptr<ApiCounters> counters_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<ClientConnections> clients_;
  std::unique_ptr<SupervisorHealth> health_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<dashboard::Dashboard> dashboard_;
  ClientConnections::SessionFactory framed_sessions_;  // the socket protocol's
  ClientConnections::SessionFactory http_sessions_;    // the HTTP face's
  bool stopping_ = false;
};

// The listener worker's main (worker/common/context.h).
int run_listener(WorkerContext& ctx);

}  // namespace backend::worker
