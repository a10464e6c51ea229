#include "plugins/cluster/etcd_client.h"

namespace backend::plugins::cluster {

template <class T>
void EtcdClient::call(std::string_view path, std::string body, etcd::Parsed<T> (*parse)(std::string_view),
                      Then<T> then) {
  transport_.post(std::string(path), std::move(body), [parse, then = std::move(then)](EtcdReply reply) {
    if (!reply.answered) {
      etcd::Parsed<T> failed;
      failed.error = {etcd::Error::kUnavailable, "no etcd endpoint answered: " + reply.error};
      return then(std::move(failed));
    }
    then(parse(reply.body));
  });
}

void EtcdClient::range(std::string_view key, std::string_view range_end, Then<etcd::RangeResponse> then) {
  call(etcd::kRangePath, etcd::range_request(key, range_end), &etcd::parse_range, std::move(then));
}

void EtcdClient::put(std::string_view key, std::string_view value, int64_t lease, Then<etcd::PutResponse> then) {
  call(etcd::kPutPath, etcd::put_request(key, value, lease), &etcd::parse_put, std::move(then));
}

void EtcdClient::remove(std::string_view key, std::string_view range_end, Then<etcd::DeleteResponse> then) {
  call(etcd::kDeleteRangePath, etcd::delete_request(key, range_end), &etcd::parse_delete, std::move(then));
}

void EtcdClient::txn(const std::vector<etcd::Compare>& compares, const std::vector<etcd::Op>& success,
                     const std::vector<etcd::Op>& failure, Then<etcd::TxnResponse> then) {
  call(etcd::kTxnPath, etcd::txn_request(compares, success, failure), &etcd::parse_txn, std::move(then));
}

void EtcdClient::grant(int64_t ttl_seconds, Then<etcd::LeaseGrant> then) {
  call(etcd::kLeaseGrantPath, etcd::lease_grant_request(ttl_seconds), &etcd::parse_lease_grant, std::move(then));
}

void EtcdClient::keepalive(int64_t lease, Then<etcd::LeaseKeepAlive> then) {
  call(etcd::kLeaseKeepAlivePath, etcd::lease_keepalive_request(lease), &etcd::parse_lease_keepalive, std::move(then));
}

void EtcdClient::revoke(int64_t lease, Then<etcd::LeaseRevoke> then) {
  call(etcd::kLeaseRevokePath, etcd::lease_revoke_request(lease), &etcd::parse_lease_revoke, std::move(then));
}

}  // namespace backend::plugins::cluster
