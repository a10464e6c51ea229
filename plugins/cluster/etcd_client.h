// etcd's KV and lease calls, typed: each request built and each answer read
// by the gateway codec (etcd_codec.h), sent by the transport
// (etcd_transport.h) on the loop. An endpoint that could not be reached or
// had no leader is an answer too: Error::kUnavailable with the reasons.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/cluster/etcd_codec.h"
#include "plugins/cluster/etcd_transport.h"

namespace backend::plugins::cluster {

class EtcdClient {
 public:
  template <class T>
  using Then = std::function<void(etcd::Parsed<T>)>;

  EtcdClient(uv_loop_t* loop, std::vector<std::string> endpoints, std::chrono::milliseconds timeout)
      : transport_(loop, std::move(endpoints), timeout) {}

  void range(std::string_view key, std::string_view range_end, Then<etcd::RangeResponse> then);
  void put(std::string_view key, std::string_view value, int64_t lease, Then<etcd::PutResponse> then);
  void remove(std::string_view key, std::string_view range_end, Then<etcd::DeleteResponse> then);
  void txn(const std::vector<etcd::Compare>& compares, const std::vector<etcd::Op>& success,
           const std::vector<etcd::Op>& failure, Then<etcd::TxnResponse> then);
  void grant(int64_t ttl_seconds, Then<etcd::LeaseGrant> then);
  void keepalive(int64_t lease, Then<etcd::LeaseKeepAlive> then);
  void revoke(int64_t lease, Then<etcd::LeaseRevoke> then);

  // No answer is delivered after this; closed runs once the handles are.
  void close(std::function<void()> closed) { transport_.close(std::move(closed)); }

 private:
  template <class T>
  void call(std::string_view path, std::string body, etcd::Parsed<T> (*parse)(std::string_view), Then<T> then);

  EtcdTransport transport_;
};

}  // namespace backend::plugins::cluster
