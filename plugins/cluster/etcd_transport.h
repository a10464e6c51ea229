// Requests to etcd's v3 JSON gateway: HTTP/1.1 POSTs made with libcurl's
// multi interface on a libuv loop, so the loop that asks never waits for
// etcd. Many requests may be in flight at once; connections to an endpoint
// are kept and reused.
//
// Endpoints are tried in turn: a request that cannot be sent, times out, or
// is answered 5xx (an etcd member without a leader says 503) goes on to the
// next endpoint, each endpoint at most once per request; the endpoint that
// answered last is asked first next time. An answer with any other status
// is the caller's to read (etcd's errors come as JSON bodies).
//
// Every descriptor it opens is close-on-exec. Endpoints named by IP address
// or "localhost" are connected to at once; another host name is resolved
// by libcurl's resolver thread, whose wake-up pair libcurl 7.88 opens
// without close-on-exec for the moment of the lookup (the supervisor's
// spawns close every descriptor a job is not given, so none reaches a job).
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace backend::plugins::cluster {

struct EtcdReply {
  bool answered = false;  // an HTTP response came; false: every endpoint failed
  long status = 0;        // HTTP status when answered
  std::string body;
  std::string error;     // why not answered, naming the endpoint(s)
  std::string endpoint;  // the one that answered, or was tried last
};

class EtcdTransport {
 public:
  using Done = std::function<void(EtcdReply)>;

  // endpoints: "http://HOST:PORT" (conf/cluster_config.h); timeout: a whole
  // request to one endpoint, connecting included.
  EtcdTransport(uv_loop_t* loop, std::vector<std::string> endpoints, std::chrono::milliseconds timeout);
  ~EtcdTransport();
  EtcdTransport(const EtcdTransport&) = delete;
  EtcdTransport& operator=(const EtcdTransport&) = delete;

  // POSTs body to path ("/v3/kv/range"). done is called once, on the loop,
  // unless close() came first; it may post and close, not destroy.
  void post(const std::string& path, std::string body, Done done);

  // Requests in flight now.
  size_t in_flight() const;

  // Drops every request in flight (their done is not called) and closes the
  // loop's handles; closed runs once they are closed. Nothing may be posted
  // after.
  void close(std::function<void()> closed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace backend::plugins::cluster
