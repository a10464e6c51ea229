#include "plugins/cluster/etcd_codec.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace backend::plugins::cluster::etcd {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// --- bodies captured from etcd 3.4.23's gateway (curl against a real server) ---

// cluster_id and member_id here are above INT64_MAX.
constexpr std::string_view kGrant =
    R"({"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"2",)"
    R"("raft_term":"2"},"ID":"4111120440582272013","TTL":"5"})";
constexpr std::string_view kGrantExists =
    R"({"error":"etcdserver: lease already exists","message":"etcdserver: lease already exists","code":9})";
constexpr std::string_view kRangeOne =
    R"({"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"2",)"
    R"("raft_term":"2"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],)"
    R"("count":"1"})";
// A binary key and value under a lease, a key put with an empty value, two more.
constexpr std::string_view kRangeAll =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"5",)"
    R"("raft_term":"2"},"kvs":[{"key":"awD/AQ==","create_revision":"2","mod_revision":"2","version":"1",)"
    R"("value":"//4Adg==","lease":"8327897066793950725"},{"key":"cHJlL2E=","create_revision":"3","mod_revision":"3",)"
    R"("version":"1"},{"key":"cHJlL2I=","create_revision":"4","mod_revision":"4","version":"1","value":"Mg=="},)"
    R"({"key":"cHJlMA==","create_revision":"5","mod_revision":"5","version":"1","value":"eA=="}],"count":"4"})";
constexpr std::string_view kRangeLimited =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"5",)"
    R"("raft_term":"2"},"kvs":[{"key":"cHJlL2E=","create_revision":"3","mod_revision":"3","version":"1"}],)"
    R"("more":true,"count":"2"})";
constexpr std::string_view kRangeNone =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"5",)"
    R"("raft_term":"2"}})";
constexpr std::string_view kRangeCountOnly =
    R"({"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"6",)"
    R"("raft_term":"2"},"count":"3"})";
constexpr std::string_view kRangeFuture =
    R"({"error":"etcdserver: mvcc: required revision is a future revision",)"
    R"("message":"etcdserver: mvcc: required revision is a future revision","code":11})";
constexpr std::string_view kRangeCompacted =
    R"({"error":"etcdserver: mvcc: required revision has been compacted",)"
    R"("message":"etcdserver: mvcc: required revision has been compacted","code":11})";
constexpr std::string_view kPut =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"2",)"
    R"("raft_term":"2"}})";
constexpr std::string_view kPutNoLease =
    R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})";
constexpr std::string_view kPutNoKey =
    R"({"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3})";
constexpr std::string_view kDeleteTwo =
    R"({"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"15",)"
    R"("raft_term":"2"},"deleted":"2"})";
constexpr std::string_view kDeleteNone =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"9",)"
    R"("raft_term":"2"}})";
// created_absent("fresh") held: put, range of a prefix, delete of it.
constexpr std::string_view kTxnSucceeded =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"7",)"
    R"("raft_term":"2"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"7"}}},)"
    R"({"response_range":{"header":{"revision":"7"},"kvs":[{"key":"cHJlL2E=","create_revision":"3",)"
    R"("mod_revision":"3","version":"1"},{"key":"cHJlL2I=","create_revision":"4","mod_revision":"4","version":"1",)"
    R"("value":"Mg=="},{"key":"cHJlL2M=","create_revision":"6","mod_revision":"6","version":"1","value":"Yw==",)"
    R"("lease":"8327897066793950725"}],"count":"3"}},{"response_delete_range":{"header":{"revision":"7"},)"
    R"("deleted":"3"}}]})";
// created_absent("pre/a") failed: the failure ops ran (range, delete of no key, put).
constexpr std::string_view kTxnFailed =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"6",)"
    R"("raft_term":"2"},"responses":[{"response_range":{"header":{"revision":"5"},"kvs":[{"key":"cHJlL2E=",)"
    R"("create_revision":"3","mod_revision":"3","version":"1"}],"count":"1"}},)"
    R"({"response_delete_range":{"header":{"revision":"5"}}},{"response_put":{"header":{"revision":"6"}}}]})";
constexpr std::string_view kTxnFailedWithoutOps =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"8",)"
    R"("raft_term":"2"}})";
constexpr std::string_view kTxnEmpty =
    R"({"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"12",)"
    R"("raft_term":"2"},"succeeded":true})";
// The keepalive stream ends each message with a newline.
constexpr std::string_view kKeepAlive =
    "{\"result\":{\"header\":{\"cluster_id\":\"5195618842960940655\",\"member_id\":\"172715650900849554\","
    "\"revision\":\"9\",\"raft_term\":\"2\"},\"ID\":\"8327897066793950725\",\"TTL\":\"30\"}}\n";
constexpr std::string_view kKeepAliveGone =
    "{\"result\":{\"header\":{\"cluster_id\":\"5195618842960940655\",\"member_id\":\"172715650900849554\","
    "\"revision\":\"10\",\"raft_term\":\"2\"},\"ID\":\"8327897066793950725\"}}\n";
constexpr std::string_view kKeepAliveOfZero =
    "{\"result\":{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\","
    "\"revision\":\"12\",\"raft_term\":\"2\"}}}\n";
// Two requests in one body get two lines.
constexpr std::string_view kKeepAliveTwo =
    "{\"result\":{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\","
    "\"revision\":\"12\",\"raft_term\":\"2\"},\"ID\":\"1\"}}\n"
    "{\"result\":{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\","
    "\"revision\":\"12\",\"raft_term\":\"2\"},\"ID\":\"2\"}}\n";
constexpr std::string_view kKeepAliveBadRequest =
    R"json({"error":"invalid character 'o' in literal null (expecting 'u')",)json"
    R"json("message":"invalid character 'o' in literal null (expecting 'u')","code":2})json";
constexpr std::string_view kRevoke =
    R"({"header":{"cluster_id":"5195618842960940655","member_id":"172715650900849554","revision":"10",)"
    R"("raft_term":"2"}})";
constexpr std::string_view kRevokeNotFound =
    R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})";

constexpr uint64_t kClusterA = 15118495548433857066ULL;
constexpr uint64_t kMemberA = 13668033151171901709ULL;
constexpr uint64_t kClusterB = 5195618842960940655ULL;
constexpr uint64_t kMemberB = 172715650900849554ULL;
constexpr int64_t kLeaseB = 8327897066793950725LL;

// A range body around one header and one kv, for the field-by-field tests.
std::string range_body(const std::string& header_fields, const std::string& kv_fields,
                       const std::string& top_fields = R"("count":"1")") {
  return R"({"header":{)" + header_fields + R"(},"kvs":[{)" + kv_fields + "}]," + top_fields + "}";
}
std::string header_body(const std::string& header_fields) { return R"({"header":{)" + header_fields + "}}"; }

std::string every_byte() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  return bytes;
}

// Every parser, for the tests that hold for all of them.
struct AnyParser {
  const char* name;
  std::function<Error(std::string_view)> error;  // code 0 when the body parsed
};

template <class T>
Error error_of(const Parsed<T>& p) {
  return p ? Error{} : p.error;
}

std::vector<AnyParser> all_parsers() {
  return {{"range", [](std::string_view b) { return error_of(parse_range(b)); }},
          {"put", [](std::string_view b) { return error_of(parse_put(b)); }},
          {"delete", [](std::string_view b) { return error_of(parse_delete(b)); }},
          {"txn", [](std::string_view b) { return error_of(parse_txn(b)); }},
          {"grant", [](std::string_view b) { return error_of(parse_lease_grant(b)); }},
          {"keepalive", [](std::string_view b) { return error_of(parse_lease_keepalive(b)); }},
          {"revoke", [](std::string_view b) { return error_of(parse_lease_revoke(b)); }}};
}

// A request body read back.
struct Json {
  explicit Json(const std::string& text) {
    doc.Parse(text.c_str(), text.size());
    EXPECT_FALSE(doc.HasParseError()) << text;
    EXPECT_TRUE(doc.IsObject()) << text;
  }
  rapidjson::Document doc;
};

bool has(const rapidjson::Value& object, const char* name) { return object.HasMember(name); }

// The string member, or a marker that fails any comparison with real data.
std::string str(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return "<absent>";
  if (!it->value.IsString()) return "<not a string>";
  return {it->value.GetString(), it->value.GetStringLength()};
}

std::string bytes(const rapidjson::Value& object, const char* name) {
  return base64_decode(str(object, name)).value_or("<not base64>");
}

// --- base64 ---

TEST(EtcdCodec, Base64MatchesTheRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded) << plain;
    EXPECT_EQ(base64_decode(encoded), plain) << encoded;
  }
}

TEST(EtcdCodec, Base64UsesTheStandardAlphabetNotTheUrlOne) {
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(base64_decode("+/+/"), "\xfb\xff\xbf"s);
  EXPECT_FALSE(base64_decode("-_-_"));
}

TEST(EtcdCodec, Base64RoundTripsBinaryBytesAtEveryPaddingLength) {
  std::string all = every_byte();
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
  for (size_t n = 0; n <= 70; ++n) {
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>((i * 97 + n * 31) & 0xff);  // NULs and 0xff included
    std::string encoded = base64_encode(bytes);
    EXPECT_EQ(encoded.size(), (n + 2) / 3 * 4) << n;
    size_t pads = encoded.size() - encoded.find_last_not_of('=') - 1;
    if (encoded.empty()) pads = 0;
    EXPECT_EQ(pads, (3 - n % 3) % 3) << n;
    EXPECT_EQ(base64_decode(encoded), bytes) << n;
  }
}

TEST(EtcdCodec, Base64RefusesWhatIsNotCanonical) {
  for (std::string_view bad :
       {"Z",     "Zg",       "Zg=",    "Zm9",   "Zm9vY", "=",    "==",   "===",  "====", "Z===", "Zg==Zg==", "Zg=a",
        "Zm9v=", "Zm9v====", "Zm9v\n", " Zm9v", "Zm9 v", "Zm-v", "Zm_v", "Zm9*", "Zh==", "Zm9=", "Zm8=\n"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
  EXPECT_FALSE(base64_decode("Zm\0v"s));
  EXPECT_FALSE(base64_decode("Zm\xffv"));
}

// --- prefix_end ---

TEST(EtcdCodec, PrefixEndIncrementsTheLastByteThatCan) {
  EXPECT_EQ(prefix_end("a"), "b");
  EXPECT_EQ(prefix_end("pre/"), "pre0");
  EXPECT_EQ(prefix_end("abc"), "abd");
  EXPECT_EQ(prefix_end("a\0"s), "a\x01"s);
  EXPECT_EQ(prefix_end("\xfe"), "\xff");
  EXPECT_EQ(prefix_end("a\xff"), "b");
  EXPECT_EQ(prefix_end("a\xfe\xff\xff"), "a\xff");
}

TEST(EtcdCodec, PrefixEndOfNothingOrAllFfIsTheNulThatMeansEveryKey) {
  EXPECT_EQ(prefix_end(""), "\0"s);
  EXPECT_EQ(prefix_end("\xff"), "\0"s);
  EXPECT_EQ(prefix_end("\xff\xff\xff"), "\0"s);
}

TEST(EtcdCodec, PrefixRangeHoldsExactlyTheKeysWithThePrefix) {
  // std::string compares bytes unsigned, as etcd does.
  const std::vector<std::string> keys = {"",     "a",     "a\0"s, "a\xff", "a\xff\xff", "ab",       "b",       "pre",
                                         "pre/", "pre/x", "pre0", "pre.",  "\xff",      "\xff\x01", "pre/\xff"};
  for (const std::string& prefix : {"a"s, "pre/"s, "a\xff"s, "pre/\xff"s}) {
    std::string end = prefix_end(prefix);
    for (const std::string& key : keys) {
      EXPECT_EQ(key >= prefix && key < end, key.starts_with(prefix)) << prefix << " " << key;
    }
  }
}

// --- integers ---

TEST(EtcdCodec, IntegersAreReadFromStringsAndFromJsonNumbers) {
  auto as_strings = parse_range(range_body(R"("revision":"7","raft_term":"3")", R"("key":"YQ==","version":"2")"));
  auto as_numbers =
      parse_range(range_body(R"("revision":7,"raft_term":3)", R"("key":"YQ==","version":2)", R"("count":1)"));
  for (const auto* p : {&as_strings, &as_numbers}) {
    ASSERT_TRUE(*p) << p->error.message;
    EXPECT_EQ((*p)->header.revision, 7);
    EXPECT_EQ((*p)->header.raft_term, 3u);
    EXPECT_EQ((*p)->kvs.at(0).version, 2);
    EXPECT_EQ((*p)->count, 1);
  }
}

TEST(EtcdCodec, Int64ExtremesAreRead) {
  auto p = parse_range(range_body(R"("revision":"9223372036854775807")",
                                  R"("key":"YQ==","lease":"-9223372036854775808","mod_revision":9223372036854775807)"));
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->header.revision, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(p->kvs.at(0).lease, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(p->kvs.at(0).mod_revision, std::numeric_limits<int64_t>::max());
}

TEST(EtcdCodec, MemberIdsAboveInt64MaxAreRead) {
  auto p = parse_put(header_body(R"("cluster_id":"18446744073709551615","member_id":18446744073709551615)"));
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->header.cluster_id, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(p->header.member_id, std::numeric_limits<uint64_t>::max());
  auto captured = parse_lease_grant(kGrant);
  ASSERT_TRUE(captured) << captured.error.message;
  EXPECT_EQ(captured->header.cluster_id, kClusterA);
  EXPECT_EQ(captured->header.member_id, kMemberA);
}

TEST(EtcdCodec, IntegersThatOverflowAreRefused) {
  for (std::string field : {R"("revision":"9223372036854775808")", R"("revision":9223372036854775808)",
                            R"("revision":"-9223372036854775809")", R"("member_id":"18446744073709551616")",
                            R"("member_id":18446744073709551616)", R"("member_id":"99999999999999999999999999")",
                            R"("revision":99999999999999999999999999999999)"}) {
    auto p = parse_put(header_body(field));
    ASSERT_FALSE(p) << field;
    EXPECT_EQ(p.error.code, Error::kMalformed) << field;
    EXPECT_NE(p.error.message.find("header."), std::string::npos) << p.error.message;
  }
  // Beyond a double, RapidJSON refuses the number itself.
  auto p = parse_put(header_body(R"("revision":1e400)"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error.code, Error::kMalformed);
  EXPECT_NE(p.error.message.find("not JSON"), std::string::npos) << p.error.message;
}

TEST(EtcdCodec, IntegersThatAreNotDecimalDigitsAreRefused) {
  for (std::string value : {R"("")", R"("+5")", R"(" 5")", R"("5 ")", R"("0x10")", R"("1e3")", R"("5.0")", R"("five")",
                            R"("5a")", R"("--5")", R"("-")", "5.0", "1e3", "-0.5", "true", "[]", "{}", "[5]"}) {
    auto p = parse_range(range_body(R"("revision":"1")", R"("key":"YQ==")", R"("count":)" + value));
    ASSERT_FALSE(p) << value;
    EXPECT_EQ(p.error.code, Error::kMalformed) << value;
    EXPECT_EQ(p.error.message, "\"count\" is not a 64-bit integer") << value;
  }
}

TEST(EtcdCodec, UnsignedIdsRefuseAMinusSign) {
  for (std::string value : {R"("-1")", "-1"}) {
    auto p = parse_put(header_body(R"("member_id":)" + value));
    ASSERT_FALSE(p) << value;
    EXPECT_EQ(p.error.message, "\"header.member_id\" is not an unsigned 64-bit integer");
  }
}

// --- omitted fields read as zero ---

TEST(EtcdCodec, RangeWithNoMatchHasNoKvsAndCountZero) {
  auto p = parse_range(kRangeNone);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_TRUE(p->kvs.empty());
  EXPECT_EQ(p->count, 0);
  EXPECT_FALSE(p->more);
  EXPECT_EQ(p->header.revision, 5);
}

TEST(EtcdCodec, CountOnlyRangeHasACountAndNoKvs) {
  auto p = parse_range(kRangeCountOnly);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_TRUE(p->kvs.empty());
  EXPECT_EQ(p->count, 3);
}

TEST(EtcdCodec, TxnWhoseCompareFailedHasNoSucceeded) {
  auto p = parse_txn(kTxnFailedWithoutOps);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_FALSE(p->succeeded);
  EXPECT_TRUE(p->responses.empty());
  EXPECT_EQ(p->header.revision, 8);
}

TEST(EtcdCodec, KeepAliveOfAGoneLeaseHasNoTtlAndIsNotAlive) {
  auto p = parse_lease_keepalive(kKeepAliveGone);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->id, kLeaseB);
  EXPECT_EQ(p->ttl, 0);
  EXPECT_FALSE(p->alive());
}

TEST(EtcdCodec, KeepAliveOfLeaseZeroHasNoIdEither) {
  auto p = parse_lease_keepalive(kKeepAliveOfZero);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->id, 0);
  EXPECT_FALSE(p->alive());
  EXPECT_EQ(p->header.revision, 12);
}

TEST(EtcdCodec, KvWithoutLeaseOrValueReadsZeroAndEmpty) {
  auto p = parse_range(kRangeAll);
  ASSERT_TRUE(p) << p.error.message;
  const KeyValue& empty = p->kvs.at(1);
  EXPECT_EQ(empty.key, "pre/a");
  EXPECT_EQ(empty.value, "");
  EXPECT_EQ(empty.lease, 0);
  EXPECT_EQ(p->kvs.at(2).lease, 0);
  EXPECT_EQ(p->kvs.at(2).value, "2");
}

TEST(EtcdCodec, NullReadsAsAnAbsentField) {
  auto p = parse_range(R"({"header":{"revision":"3","member_id":null},"kvs":null,"count":null,"more":null})");
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_TRUE(p->kvs.empty());
  EXPECT_EQ(p->count, 0);
  EXPECT_EQ(p->header.member_id, 0u);
  EXPECT_EQ(p->header.revision, 3);
}

TEST(EtcdCodec, UnknownFieldsAreIgnored) {
  auto p = parse_range(R"({"header":{"revision":"3","new":{"x":[1]}},"kvs":[{"key":"YQ==","extra":true}],"next":"z"})");
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->kvs.at(0).key, "a");
}

// --- each response kind, as etcd sent it ---

TEST(EtcdCodec, RangeOfOneKeyIsRead) {
  auto p = parse_range(kRangeOne);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->header, (Header{kClusterA, kMemberA, 2, 2}));
  EXPECT_EQ(p->count, 1);
  EXPECT_FALSE(p->more);
  ASSERT_EQ(p->kvs.size(), 1u);
  EXPECT_EQ(p->kvs[0], (KeyValue{"foo", "bar", 2, 2, 1, 0}));
}

TEST(EtcdCodec, RangeOfBinaryKeysUnderALeaseIsRead) {
  auto p = parse_range(kRangeAll);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->header, (Header{kClusterB, kMemberB, 5, 2}));
  EXPECT_EQ(p->count, 4);
  ASSERT_EQ(p->kvs.size(), 4u);
  EXPECT_EQ(p->kvs[0], (KeyValue{"k\0\xff\x01"s, "\xff\xfe\0v"s, 2, 2, 1, kLeaseB}));
  EXPECT_EQ(p->kvs[3], (KeyValue{"pre0", "x", 5, 5, 1, 0}));
}

TEST(EtcdCodec, RangeCutByALimitSaysMore) {
  auto p = parse_range(kRangeLimited);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_TRUE(p->more);
  EXPECT_EQ(p->count, 2);
  EXPECT_EQ(p->kvs.size(), 1u);
}

TEST(EtcdCodec, PutIsRead) {
  auto p = parse_put(kPut);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->header, (Header{kClusterB, kMemberB, 2, 2}));
}

TEST(EtcdCodec, DeleteSaysHowManyWentAndZeroWhenNone) {
  auto two = parse_delete(kDeleteTwo);
  ASSERT_TRUE(two) << two.error.message;
  EXPECT_EQ(two->deleted, 2);
  EXPECT_EQ(two->header.revision, 15);
  auto none = parse_delete(kDeleteNone);
  ASSERT_TRUE(none) << none.error.message;
  EXPECT_EQ(none->deleted, 0);
}

TEST(EtcdCodec, TxnThatSucceededGivesEachOpsResponseInOrder) {
  auto p = parse_txn(kTxnSucceeded);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_TRUE(p->succeeded);
  EXPECT_EQ(p->header.revision, 7);
  ASSERT_EQ(p->responses.size(), 3u);
  EXPECT_EQ(p->responses[0].kind, OpResponse::Kind::kPut);
  EXPECT_EQ(p->responses[0].put.header.revision, 7);
  EXPECT_EQ(p->responses[0].put.header.cluster_id, 0u);  // op headers carry the revision only
  EXPECT_EQ(p->responses[1].kind, OpResponse::Kind::kRange);
  EXPECT_EQ(p->responses[1].range.count, 3);
  ASSERT_EQ(p->responses[1].range.kvs.size(), 3u);
  EXPECT_EQ(p->responses[1].range.kvs[2], (KeyValue{"pre/c", "c", 6, 6, 1, kLeaseB}));
  EXPECT_EQ(p->responses[2].kind, OpResponse::Kind::kDelete);
  EXPECT_EQ(p->responses[2].delete_range.deleted, 3);
}

TEST(EtcdCodec, TxnThatFailedGivesTheFailureOpsResponses) {
  auto p = parse_txn(kTxnFailed);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_FALSE(p->succeeded);
  ASSERT_EQ(p->responses.size(), 3u);
  EXPECT_EQ(p->responses[0].kind, OpResponse::Kind::kRange);
  EXPECT_EQ(p->responses[0].range.kvs.at(0).create_revision, 3);
  EXPECT_EQ(p->responses[0].range.header.revision, 5);
  EXPECT_EQ(p->responses[1].kind, OpResponse::Kind::kDelete);
  EXPECT_EQ(p->responses[1].delete_range.deleted, 0);
  EXPECT_EQ(p->responses[2].kind, OpResponse::Kind::kPut);
  EXPECT_EQ(p->responses[2].put.header.revision, 6);
}

TEST(EtcdCodec, TxnWithoutOpsThatSucceededIsRead) {
  auto p = parse_txn(kTxnEmpty);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_TRUE(p->succeeded);
  EXPECT_TRUE(p->responses.empty());
}

TEST(EtcdCodec, LeaseGrantIsRead) {
  auto p = parse_lease_grant(kGrant);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->id, 4111120440582272013LL);
  EXPECT_EQ(p->ttl, 5);
  EXPECT_EQ(p->header.revision, 2);
}

TEST(EtcdCodec, LeaseGrantWithoutAnIdIsRefused) {
  auto p = parse_lease_grant(header_body(R"("revision":"2")"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error.code, Error::kMalformed);
  EXPECT_NE(p.error.message.find("ID"), std::string::npos) << p.error.message;
}

TEST(EtcdCodec, LeaseGrantWithItsOwnErrorFieldIsAnError) {
  auto p = parse_lease_grant(R"({"header":{"revision":"2"},"ID":"7","TTL":"5","error":"no room"})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error.code, Error::kUnknown);
  EXPECT_NE(p.error.message.find("no room"), std::string::npos) << p.error.message;
}

TEST(EtcdCodec, KeepAliveOfALiveLeaseIsRead) {
  auto p = parse_lease_keepalive(kKeepAlive);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->id, kLeaseB);
  EXPECT_EQ(p->ttl, 30);
  EXPECT_TRUE(p->alive());
  EXPECT_EQ(p->header, (Header{kClusterB, kMemberB, 9, 2}));
}

TEST(EtcdCodec, KeepAliveReadsTheFirstMessageOfTheStream) {
  auto p = parse_lease_keepalive(kKeepAliveTwo);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->id, 1);
  auto without_newline = parse_lease_keepalive(kKeepAlive.substr(0, kKeepAlive.size() - 1));
  ASSERT_TRUE(without_newline) << without_newline.error.message;
  EXPECT_EQ(without_newline->ttl, 30);
}

TEST(EtcdCodec, KeepAliveWithGarbageAfterTheMessageOnItsLineIsRefused) {
  std::string body(kKeepAlive.substr(0, kKeepAlive.size() - 1));
  auto p = parse_lease_keepalive(body + " junk\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error.code, Error::kMalformed);
}

TEST(EtcdCodec, KeepAliveNeedsAResult) {
  auto p = parse_lease_keepalive(R"({"header":{"revision":"1"},"ID":"5","TTL":"5"})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error.message, "the body has neither \"result\" nor \"error\"");
  auto no_header = parse_lease_keepalive(R"({"result":{"ID":"5","TTL":"5"}})");
  ASSERT_FALSE(no_header);
  EXPECT_EQ(no_header.error.code, Error::kMalformed);
}

TEST(EtcdCodec, RevokeIsRead) {
  auto p = parse_lease_revoke(kRevoke);
  ASSERT_TRUE(p) << p.error.message;
  EXPECT_EQ(p->header.revision, 10);
}

// --- etcd's errors ---

TEST(EtcdCodec, EtcdErrorBodiesGiveTheirCodeAndMessage) {
  struct Case {
    std::string_view body;
    int code;
    std::string message;
  };
  for (const Case& c :
       {Case{kRevokeNotFound, Error::kNotFound, "etcdserver: requested lease not found"},
        Case{kPutNoLease, Error::kNotFound, "etcdserver: requested lease not found"},
        Case{kPutNoKey, Error::kInvalidArgument, "etcdserver: key is not provided"},
        Case{kGrantExists, Error::kFailedPrecondition, "etcdserver: lease already exists"},
        Case{kRangeFuture, Error::kOutOfRange, "etcdserver: mvcc: required revision is a future revision"},
        Case{kRangeCompacted, Error::kOutOfRange, "etcdserver: mvcc: required revision has been compacted"},
        Case{kKeepAliveBadRequest, Error::kUnknown, "invalid character 'o' in literal null (expecting 'u')"}}) {
    // The body decides, whichever parser reads it.
    for (const AnyParser& parser : all_parsers()) {
      EXPECT_EQ(parser.error(c.body), (Error{c.code, c.message})) << parser.name << ": " << c.body;
    }
  }
}

TEST(EtcdCodec, StreamErrorsGiveTheirGrpcCode) {
  constexpr std::string_view body = R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader",)"
                                    R"("http_status":"Service Unavailable"}})"
                                    "\n";
  auto p = parse_lease_keepalive(body);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error, (Error{Error::kUnavailable, "etcdserver: no leader"}));
  EXPECT_EQ(parse_range(body).error.code, Error::kUnavailable);
}

TEST(EtcdCodec, AnErrorNeverHasCodeZeroOrNoMessage) {
  EXPECT_EQ(parse_put(R"({"error":"boom"})").error, (Error{Error::kUnknown, "boom"}));
  EXPECT_EQ(parse_put(R"({"error":"boom","code":0})").error, (Error{Error::kUnknown, "boom"}));
  EXPECT_EQ(parse_put(R"({"error":"boom","message":"","code":14})").error, (Error{Error::kUnavailable, "boom"}));
  EXPECT_EQ(parse_put(R"({"error":{"grpc_code":5}})").error.code, Error::kNotFound);
  EXPECT_FALSE(parse_put(R"({"error":{"grpc_code":5}})").error.message.empty());
}

TEST(EtcdCodec, ErrorBodiesOfTheWrongShapeAreMalformed) {
  for (std::string_view body :
       {R"({"error":5})", R"({"error":["x"]})", R"({"error":"x","code":"five"})", R"({"error":"x","code":1.5})",
        R"({"error":"x","message":7})", R"({"error":{"grpc_code":"x"}})", R"({"error":"x","code":9999999999})"}) {
    Error p = error_of(parse_lease_revoke(body));
    EXPECT_EQ(p.code, Error::kMalformed) << body;
    EXPECT_FALSE(p.message.empty()) << body;
  }
}

// --- hostile bodies ---

TEST(EtcdCodec, BodiesThatAreNotAJsonObjectAreRefused) {
  for (std::string_view body :
       {""sv, " \n"sv, "null"sv, "[]"sv, "[{\"header\":{}}]"sv, "\"x\""sv, "42"sv, "true"sv, "{"sv, "}"sv,
        "{\"header\""sv, "<html>bad gateway</html>"sv, "{}{}"sv, "{} x"sv, "{\"header\":{}}\0junk"sv,
        "{\"header\":{\"a\":\"\\\0\"}}"sv, "{\"a\":\"\xff\xfe\"}"sv, "{'header':{}}"sv}) {
    for (const AnyParser& parser : all_parsers()) {
      Error e = parser.error(body);
      EXPECT_EQ(e.code, Error::kMalformed) << parser.name << ": " << body;
      EXPECT_FALSE(e.message.empty()) << parser.name << ": " << body;
    }
  }
}

TEST(EtcdCodec, AnObjectWithoutAHeaderIsNoResponse) {
  for (const AnyParser& parser : all_parsers()) {
    Error e = parser.error(parser.name == "keepalive"s ? R"({"result":{}})" : "{}");
    EXPECT_EQ(e.code, Error::kMalformed) << parser.name;
    EXPECT_NE(e.message.find("\"header\""), std::string::npos) << parser.name << ": " << e.message;
  }
}

TEST(EtcdCodec, DeepNestingIsRefusedWithoutCrashing) {
  for (size_t depth : {33u, 1000u, 200000u}) {
    std::string deep = R"({"header":{},"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
    for (const AnyParser& parser : all_parsers()) EXPECT_EQ(parser.error(deep).code, Error::kMalformed) << depth;
  }
  std::string shallow = R"({"header":{"revision":"1"},"x":)" + std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_TRUE(parse_put(shallow));
}

TEST(EtcdCodec, EveryTruncationOfACapturedBodyIsAnError) {
  const std::pair<std::string_view, std::function<Error(std::string_view)>> bodies[] = {
      {kRangeAll, [](std::string_view b) { return error_of(parse_range(b)); }},
      {kTxnSucceeded, [](std::string_view b) { return error_of(parse_txn(b)); }},
      {kGrant, [](std::string_view b) { return error_of(parse_lease_grant(b)); }},
      {kKeepAlive, [](std::string_view b) { return error_of(parse_lease_keepalive(b)); }},
      {kDeleteTwo, [](std::string_view b) { return error_of(parse_delete(b)); }}};
  for (const auto& [body, parse] : bodies) {
    std::string_view whole = body.substr(0, body.find_last_not_of('\n') + 1);
    EXPECT_EQ(parse(whole).code, 0) << whole;
    for (size_t n = 0; n < whole.size(); ++n) {
      EXPECT_EQ(parse(whole.substr(0, n)).code, Error::kMalformed) << whole.substr(0, n);
    }
  }
}

TEST(EtcdCodec, FieldsOfTheWrongTypeAreRefusedByName) {
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {R"({"header":[]})", "\"header\" is not an object"},
      {R"({"header":{},"kvs":{}})", "\"kvs\" is not a list"},
      {R"({"header":{},"kvs":["Zm9v"]})", "\"kvs[0]\" is not an object"},
      {R"({"header":{},"kvs":[{"key":"YQ=="},{"key":5}]})", "\"kvs[1].key\" is not a string"},
      {R"({"header":{},"kvs":[{"key":"YQ=="},{"key":"YQ==","value":"!!"}]})", "\"kvs[1].value\" is not base64"},
      {R"({"header":{},"kvs":[{"key":"YQ"}]})", "\"kvs[0].key\" is not base64"},
      {R"({"header":{},"more":"true"})", "\"more\" is not true or false"},
      {R"({"header":{},"more":1})", "\"more\" is not true or false"},
      {R"({"header":{"revision":true}})", "\"header.revision\" is not a 64-bit integer"},
  };
  for (const Case& c : cases) {
    auto p = parse_range(c.body);
    ASSERT_FALSE(p) << c.body;
    EXPECT_EQ(p.error, (Error{Error::kMalformed, c.message})) << c.body;
  }
}

TEST(EtcdCodec, TxnFieldsOfTheWrongTypeAreRefusedByName) {
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {R"({"header":{},"succeeded":"true"})", "\"succeeded\" is not true or false"},
      {R"({"header":{},"responses":{}})", "\"responses\" is not a list"},
      {R"({"header":{},"responses":[5]})", "\"responses[0]\" is not an object"},
      {R"({"header":{},"responses":[{}]})", "\"responses[0]\" is no range, put or delete response"},
      {R"({"header":{},"responses":[{"response_txn":{}}]})", "\"responses[0]\" is no range, put or delete response"},
      {R"({"header":{},"responses":[{"response_put":[]}]})", "\"responses[0].response_put\" is not an object"},
      {R"({"header":{},"responses":[{"response_range":{"kvs":[{"key":"%%%%"}]}}]})",
       "\"responses[0].response_range.kvs[0].key\" is not base64"},
      {R"({"header":{},"responses":[{"response_delete_range":{"deleted":"x"}}]})",
       "\"responses[0].response_delete_range.deleted\" is not a 64-bit integer"},
  };
  for (const Case& c : cases) {
    auto p = parse_txn(c.body);
    ASSERT_FALSE(p) << c.body;
    EXPECT_EQ(p.error, (Error{Error::kMalformed, c.message})) << c.body;
  }
}

TEST(EtcdCodec, LeaseFieldsOfTheWrongTypeAreRefusedByName) {
  EXPECT_EQ(parse_lease_grant(R"({"header":{},"ID":"7","TTL":[5]})").error.message, "\"TTL\" is not a 64-bit integer");
  EXPECT_EQ(parse_lease_grant(R"({"header":{},"ID":7.5,"TTL":5})").error.message, "\"ID\" is not a 64-bit integer");
  EXPECT_EQ(parse_lease_keepalive(R"({"result":{"header":{},"TTL":"x"}})").error.message,
            "\"result.TTL\" is not a 64-bit integer");
  EXPECT_EQ(parse_lease_keepalive(R"({"result":[]})").error.message, "\"result\" is not an object");
  EXPECT_EQ(parse_lease_keepalive(R"({"result":{"header":5}})").error.message, "\"result.header\" is not an object");
}

// --- requests, read back ---

TEST(EtcdCodec, RangeRequestCarriesOnlyTheFieldsGiven) {
  Json plain(range_request("k\0\xff"s));
  EXPECT_EQ(bytes(plain.doc, "key"), "k\0\xff"s);
  for (const char* absent : {"range_end", "limit", "revision", "keys_only", "count_only"})
    EXPECT_FALSE(has(plain.doc, absent)) << absent;

  Json full(range_request("pre/", prefix_end("pre/"), 10, std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(bytes(full.doc, "key"), "pre/");
  EXPECT_EQ(bytes(full.doc, "range_end"), "pre0");
  EXPECT_EQ(str(full.doc, "limit"), "10");
  EXPECT_EQ(str(full.doc, "revision"), "9223372036854775807");
}

TEST(EtcdCodec, RangeRequestOfEveryKeyCarriesNulKeys) {
  Json all(range_request("\0"s, prefix_end("")));
  EXPECT_EQ(str(all.doc, "key"), "AA==");
  EXPECT_EQ(str(all.doc, "range_end"), "AA==");
}

TEST(EtcdCodec, PutRequestCarriesKeyValueAndLease) {
  std::string binary = every_byte();
  Json leased(put_request("a/b", binary, 4111120440582272005LL));
  EXPECT_EQ(bytes(leased.doc, "key"), "a/b");
  EXPECT_EQ(bytes(leased.doc, "value"), binary);
  EXPECT_EQ(str(leased.doc, "lease"), "4111120440582272005");

  Json bare(put_request("k", ""));
  EXPECT_EQ(str(bare.doc, "value"), "");
  EXPECT_FALSE(has(bare.doc, "lease"));
  EXPECT_FALSE(has(bare.doc, "prev_kv"));
}

TEST(EtcdCodec, DeleteRequestCarriesKeyAndRangeEnd) {
  Json one(delete_request("k"));
  EXPECT_EQ(bytes(one.doc, "key"), "k");
  EXPECT_FALSE(has(one.doc, "range_end"));
  Json prefix(delete_request("p/", prefix_end("p/")));
  EXPECT_EQ(bytes(prefix.doc, "range_end"), "p0");
}

TEST(EtcdCodec, LeaseRequestsWriteIntegersAsStrings) {
  Json grant(lease_grant_request(10));
  EXPECT_EQ(str(grant.doc, "TTL"), "10");
  EXPECT_FALSE(has(grant.doc, "ID"));
  Json chosen(lease_grant_request(10, 77));
  EXPECT_EQ(str(chosen.doc, "ID"), "77");
  Json keepalive(lease_keepalive_request(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(str(keepalive.doc, "ID"), "9223372036854775807");
  Json revoke(lease_revoke_request(4111120440582272005LL));
  EXPECT_EQ(str(revoke.doc, "ID"), "4111120440582272005");
  EXPECT_EQ(revoke.doc.MemberCount(), 1u);
}

TEST(EtcdCodec, CompareConstructorsSayWhatTheyCompare) {
  EXPECT_EQ(Compare::created_absent("k").target, Compare::Target::kCreate);
  EXPECT_EQ(Compare::created_absent("k").number, 0);
  EXPECT_EQ(Compare::create_revision_is("k", 9).number, 9);
  EXPECT_EQ(Compare::mod_revision_is("k", 9).target, Compare::Target::kMod);
  EXPECT_EQ(Compare::version_is("k", 2).target, Compare::Target::kVersion);
  EXPECT_EQ(Compare::lease_is("k", 5).target, Compare::Target::kLease);
  Compare v = Compare::value_is("k", "v\0"s);
  EXPECT_EQ(v.target, Compare::Target::kValue);
  EXPECT_EQ(v.value, "v\0"s);
  EXPECT_EQ(v.key, "k");
  EXPECT_EQ(v.result, Compare::Result::kEqual);
}

TEST(EtcdCodec, TxnRequestWritesEachCompareWithItsOperand) {
  const std::vector<Compare> compares = {
      Compare::created_absent("a"),
      Compare::mod_revision_is("b", 12),
      {Compare::Target::kVersion, Compare::Result::kGreater, "c", 3, {}},
      {Compare::Target::kValue, Compare::Result::kNotEqual, "d", 0, "\xff\0"s},
      {Compare::Target::kLease, Compare::Result::kLess, "e", 4111120440582272005LL, {}},
  };
  Json txn(txn_request(compares, {}, {}));
  const rapidjson::Value& c = txn.doc["compare"];
  ASSERT_TRUE(c.IsArray());
  ASSERT_EQ(c.Size(), 5u);
  const std::tuple<std::string, std::string, std::string, const char*, std::string> want[] = {
      {"a", "CREATE", "EQUAL", "create_revision", "0"},
      {"b", "MOD", "EQUAL", "mod_revision", "12"},
      {"c", "VERSION", "GREATER", "version", "3"},
      {"d", "VALUE", "NOT_EQUAL", "value", base64_encode("\xff\0"s)},
      {"e", "LEASE", "LESS", "lease", "4111120440582272005"},
  };
  for (rapidjson::SizeType i = 0; i < 5; ++i) {
    const auto& [key, target, result, operand, value] = want[i];
    EXPECT_EQ(bytes(c[i], "key"), key);
    EXPECT_EQ(str(c[i], "target"), target);
    EXPECT_EQ(str(c[i], "result"), result);
    EXPECT_EQ(str(c[i], operand), value) << operand;
    EXPECT_EQ(c[i].MemberCount(), 4u) << "one operand only, compare " << i;
  }
}

TEST(EtcdCodec, TxnRequestWrapsEachOpInItsProtoName) {
  Json txn(txn_request({Compare::created_absent("a")},
                       {Op::put("a", "1", 77), Op::range("p/", "p0"), Op::remove("q/", "q0")},
                       {Op::range("a"), Op::remove("b")}));
  const rapidjson::Value& success = txn.doc["success"];
  ASSERT_TRUE(success.IsArray());
  ASSERT_EQ(success.Size(), 3u);
  ASSERT_TRUE(success[0].HasMember("request_put"));
  EXPECT_EQ(bytes(success[0]["request_put"], "key"), "a");
  EXPECT_EQ(bytes(success[0]["request_put"], "value"), "1");
  EXPECT_EQ(str(success[0]["request_put"], "lease"), "77");
  ASSERT_TRUE(success[1].HasMember("request_range"));
  EXPECT_EQ(bytes(success[1]["request_range"], "range_end"), "p0");
  ASSERT_TRUE(success[2].HasMember("request_delete_range"));
  EXPECT_EQ(bytes(success[2]["request_delete_range"], "key"), "q/");
  EXPECT_EQ(bytes(success[2]["request_delete_range"], "range_end"), "q0");

  const rapidjson::Value& failure = txn.doc["failure"];
  ASSERT_TRUE(failure.IsArray());
  ASSERT_EQ(failure.Size(), 2u);
  ASSERT_TRUE(failure[0].HasMember("request_range"));
  EXPECT_FALSE(failure[0]["request_range"].HasMember("range_end"));
  ASSERT_TRUE(failure[1].HasMember("request_delete_range"));
  EXPECT_EQ(bytes(failure[1]["request_delete_range"], "key"), "b");
  for (const auto& op : success.GetArray()) EXPECT_EQ(op.MemberCount(), 1u);
}

TEST(EtcdCodec, TxnRequestWithNoOpsHasEmptyLists) {
  Json txn(txn_request({}, {}));
  ASSERT_TRUE(txn.doc["compare"].IsArray());
  EXPECT_TRUE(txn.doc["compare"].Empty());
  EXPECT_TRUE(txn.doc["success"].Empty());
  EXPECT_TRUE(txn.doc["failure"].Empty());
}

TEST(EtcdCodec, OpConstructorsFillTheirKind) {
  Op put = Op::put("k", "v", 3);
  EXPECT_EQ(put.kind, Op::Kind::kPut);
  EXPECT_EQ(put.value, "v");
  EXPECT_EQ(put.lease, 3);
  Op range = Op::range("k", "l");
  EXPECT_EQ(range.kind, Op::Kind::kRange);
  EXPECT_EQ(range.range_end, "l");
  Op remove = Op::remove("k");
  EXPECT_EQ(remove.kind, Op::Kind::kDelete);
  EXPECT_EQ(remove.range_end, "");
}

}  // namespace
}  // namespace backend::plugins::cluster::etcd
