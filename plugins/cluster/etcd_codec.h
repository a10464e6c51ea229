// The codec for etcd 3.4's v3 JSON gateway (grpc-gateway over HTTP/1.1): the
// request bodies we send and the response bodies we read. Pure functions, no
// I/O, so the client that does the HTTP can be tested apart from etcd and
// this can be tested against bodies captured from a real one.
//
// What the gateway does that shapes this code:
//  - keys and values are bytes, written as standard base64 with padding;
//  - 64-bit integers are JSON strings ("revision":"12"); we write them so and
//    read them as strings or plain numbers;
//  - fields holding zero, "", false or [] are omitted (a range that matches
//    nothing has no "kvs" and no "count"; a failed txn has no "succeeded"),
//    so every absent field reads as its zero;
//  - an error is {"error":"..","message":"..","code":N} (N a gRPC code) with
//    a non-200 status; a stream (keepalive) error is
//    {"error":{"grpc_code":N,"message":"..",..}}. Parsers go by the body alone.
// Fields we do not know are ignored: a newer etcd may add some.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace backend::plugins::cluster::etcd {

// The gateway's paths, all POST.
inline constexpr std::string_view kRangePath = "/v3/kv/range";
inline constexpr std::string_view kPutPath = "/v3/kv/put";
inline constexpr std::string_view kDeleteRangePath = "/v3/kv/deleterange";
inline constexpr std::string_view kTxnPath = "/v3/kv/txn";
inline constexpr std::string_view kLeaseGrantPath = "/v3/lease/grant";
inline constexpr std::string_view kLeaseKeepAlivePath = "/v3/lease/keepalive";
inline constexpr std::string_view kLeaseRevokePath = "/v3/lease/revoke";

// --- bytes ---

// RFC 4648 base64, standard alphabet, with padding: what the gateway speaks.
std::string base64_encode(std::string_view bytes);
// nullopt for anything but canonical base64: a character outside the
// alphabet (whitespace included), a length not a multiple of 4, '=' other
// than one or two at the end, or nonzero bits under the padding.
std::optional<std::string> base64_decode(std::string_view text);

// The range_end that makes [prefix, range_end) every key starting with
// prefix, as clientv3's WithPrefix computes it: the prefix with trailing 0xff
// bytes dropped and the last byte then incremented. When nothing is left
// (the prefix is empty or all 0xff) it is "\0", which etcd reads as "every
// key from key on". etcd refuses an empty key: the empty prefix is key "\0".
std::string prefix_end(std::string_view prefix);

// --- responses ---

// A gRPC status code (etcd's own errors carry one too), or kMalformed when the
// body itself could not be read. Never 0 in a failed Parsed.
struct Error {
  static constexpr int kMalformed = -1;
  static constexpr int kUnknown = 2;
  static constexpr int kInvalidArgument = 3;
  static constexpr int kNotFound = 5;            // "requested lease not found"
  static constexpr int kFailedPrecondition = 9;  // "lease already exists"
  static constexpr int kOutOfRange = 11;         // a compacted or future revision
  static constexpr int kUnavailable = 14;        // no leader, stopping

  int code = 0;
  std::string message;

  bool operator==(const Error&) const = default;
};

// Either the response or why there is none. C++20 has no std::expected.
template <class T>
struct Parsed {
  std::optional<T> value;
  Error error;  // code 0 and no message when value holds

  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

struct Header {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  int64_t revision = 0;  // the store's revision when the request was served
  uint64_t raft_term = 0;

  bool operator==(const Header&) const = default;
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;  // 1 at creation, +1 per put
  int64_t lease = 0;    // 0: none

  bool operator==(const KeyValue&) const = default;
};

struct RangeResponse {
  Header header;
  std::vector<KeyValue> kvs;
  int64_t count = 0;  // keys in the range, even beyond a limit
  bool more = false;  // a limit cut kvs short
};

struct PutResponse {
  Header header;
};

struct DeleteResponse {
  Header header;
  int64_t deleted = 0;
};

// One op's response in a txn; only the member that kind names is filled.
struct OpResponse {
  enum class Kind { kRange, kPut, kDelete } kind = Kind::kRange;
  RangeResponse range;
  PutResponse put;
  DeleteResponse delete_range;
};

struct TxnResponse {
  Header header;
  bool succeeded = false;             // every compare held: the success ops ran
  std::vector<OpResponse> responses;  // one per op that ran, in order
};

struct LeaseGrant {
  Header header;
  int64_t id = 0;
  int64_t ttl = 0;  // seconds; etcd raises a small request to its minimum
};

struct LeaseKeepAlive {
  Header header;
  int64_t id = 0;
  int64_t ttl = 0;  // 0: the lease is gone (expired or revoked)

  bool alive() const { return ttl > 0; }
};

struct LeaseRevoke {
  Header header;
};

// Each takes a whole HTTP response body. An etcd error body gives its code and
// message; a body that is not what the kind should be (not JSON, not an
// object, no "header", a field of the wrong type, an integer that is not one
// or does not fit, bad base64) gives kMalformed and a sentence naming the
// field. Nothing throws but std::bad_alloc.
Parsed<RangeResponse> parse_range(std::string_view body);
Parsed<PutResponse> parse_put(std::string_view body);
Parsed<DeleteResponse> parse_delete(std::string_view body);
Parsed<TxnResponse> parse_txn(std::string_view body);
// A grant without an ID is refused: lease 0 means "no lease" to a put.
Parsed<LeaseGrant> parse_lease_grant(std::string_view body);
// The gateway streams keepalive answers, one JSON message a line, each
// {"result":{..}} or {"error":{..}}. We send one request, so the first line
// is our answer; the rest is not read.
Parsed<LeaseKeepAlive> parse_lease_keepalive(std::string_view body);
Parsed<LeaseRevoke> parse_lease_revoke(std::string_view body);

// --- requests ---

// A txn's condition on one key. number is the operand for kCreate, kMod,
// kVersion and kLease; value for kValue. A key that does not exist has create
// revision, mod revision, version and lease 0.
struct Compare {
  enum class Target { kCreate, kMod, kVersion, kValue, kLease } target = Target::kCreate;
  enum class Result { kEqual, kGreater, kLess, kNotEqual } result = Result::kEqual;
  std::string key;
  int64_t number = 0;
  std::string value;

  static Compare created_absent(std::string_view key) { return create_revision_is(key, 0); }
  static Compare create_revision_is(std::string_view key, int64_t revision) {
    return {Target::kCreate, Result::kEqual, std::string(key), revision, {}};
  }
  static Compare mod_revision_is(std::string_view key, int64_t revision) {
    return {Target::kMod, Result::kEqual, std::string(key), revision, {}};
  }
  static Compare version_is(std::string_view key, int64_t version) {
    return {Target::kVersion, Result::kEqual, std::string(key), version, {}};
  }
  static Compare lease_is(std::string_view key, int64_t lease) {
    return {Target::kLease, Result::kEqual, std::string(key), lease, {}};
  }
  static Compare value_is(std::string_view key, std::string_view value) {
    return {Target::kValue, Result::kEqual, std::string(key), 0, std::string(value)};
  }
};

// One op of a txn. range_end: kRange and kDelete (empty: the key alone);
// value and lease: kPut.
struct Op {
  enum class Kind { kRange, kPut, kDelete } kind = Kind::kRange;
  std::string key;
  std::string range_end;
  std::string value;
  int64_t lease = 0;

  static Op range(std::string_view key, std::string_view range_end = {}) {
    return {Kind::kRange, std::string(key), std::string(range_end), {}, 0};
  }
  static Op put(std::string_view key, std::string_view value, int64_t lease = 0) {
    return {Kind::kPut, std::string(key), {}, std::string(value), lease};
  }
  static Op remove(std::string_view key, std::string_view range_end = {}) {
    return {Kind::kDelete, std::string(key), std::string(range_end), {}, 0};
  }
};

// Bodies for the paths above. Zero optional fields are left out, as the
// gateway does; 64-bit integers are written as strings.
// limit 0: no limit; revision 0: the newest.
std::string range_request(std::string_view key, std::string_view range_end = {}, int64_t limit = 0,
                          int64_t revision = 0);
std::string put_request(std::string_view key, std::string_view value, int64_t lease = 0);
std::string delete_request(std::string_view key, std::string_view range_end = {});
std::string txn_request(const std::vector<Compare>& compares, const std::vector<Op>& success,
                        const std::vector<Op>& failure = {});
// id 0: etcd picks one.
std::string lease_grant_request(int64_t ttl_seconds, int64_t id = 0);
std::string lease_keepalive_request(int64_t id);
std::string lease_revoke_request(int64_t id);

}  // namespace backend::plugins::cluster::etcd
