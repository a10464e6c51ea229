#include "plugins/cluster/etcd_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <charconv>
#include <type_traits>
#include <utility>

#include "protocol/request.h"

namespace backend::plugins::cluster::etcd {

namespace {

using rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// --- base64 ---

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kNotBase64 = 0xff;

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> table{};
  table.fill(kNotBase64);
  for (size_t i = 0; i < kAlphabet.size(); ++i) table[static_cast<unsigned char>(kAlphabet[i])] = uint8_t(i);
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

// --- reading ---

// etcd's bodies nest 6 deep at most; the bound keeps a hostile body cheap.
// The parse is iterative, so depth alone cannot overflow the stack.
constexpr int kMaxDepth = 32;

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// The first failure while reading one body; later ones add nothing.
struct Reader {
  std::string error;
  int code = Error::kMalformed;  // what the error is reported as

  bool fail(std::string sentence) {
    if (error.empty()) error = std::move(sentence);
    return false;
  }

  // The member, or nullptr when absent or null: proto3's JSON reads null as
  // the field's zero, like absence.
  static const Value* find(const Value& object, const char* name) {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }

  static std::string path(std::string_view where, std::string_view name) {
    std::string out(where);
    if (!out.empty()) out += '.';
    out += name;
    return out;
  }

  template <class T>
  bool integer(const Value& object, const char* name, std::string_view where, T& out) {
    static_assert(std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> || std::is_same_v<T, int>);
    const Value* v = find(object, name);
    if (!v) return true;
    if (!integer_value(*v, out)) {
      std::string kind =
          std::is_signed_v<T> ? (std::is_same_v<T, int> ? "a 32-bit" : "a 64-bit") : "an unsigned 64-bit";
      return fail("\"" + path(where, name) + "\" is not " + kind + " integer");
    }
    return true;
  }

  template <class T>
  static bool integer_value(const Value& v, T& out) {
    if (v.IsString()) {
      const char* begin = v.GetString();
      const char* end = begin + v.GetStringLength();
      auto [ptr, ec] = std::from_chars(begin, end, out);  // '-' for signed T only, no '+', no spaces
      return begin != end && ec == std::errc() && ptr == end;
    }
    if constexpr (std::is_same_v<T, int>) {
      if (!v.IsInt()) return false;
      out = v.GetInt();
    } else if constexpr (std::is_signed_v<T>) {
      if (!v.IsInt64()) return false;
      out = v.GetInt64();
    } else {
      if (!v.IsUint64()) return false;
      out = v.GetUint64();
    }
    return true;
  }

  bool boolean(const Value& object, const char* name, std::string_view where, bool& out) {
    const Value* v = find(object, name);
    if (!v) return true;
    if (!v->IsBool()) return fail("\"" + path(where, name) + "\" is not true or false");
    out = v->GetBool();
    return true;
  }

  bool text(const Value& object, const char* name, std::string_view where, std::string& out) {
    const Value* v = find(object, name);
    if (!v) return true;
    if (!v->IsString()) return fail("\"" + path(where, name) + "\" is not a string");
    out.assign(v->GetString(), v->GetStringLength());
    return true;
  }

  bool bytes(const Value& object, const char* name, std::string_view where, std::string& out) {
    std::string encoded;
    if (!text(object, name, where, encoded)) return false;
    std::optional<std::string> decoded = base64_decode(encoded);
    if (!decoded) return fail("\"" + path(where, name) + "\" is not base64");
    out = std::move(*decoded);
    return true;
  }

  // An absent member is true with nullptr: the caller reads zeros.
  bool object_member(const Value& object, const char* name, std::string_view where, const Value*& out) {
    out = find(object, name);
    if (out && !out->IsObject()) return fail("\"" + path(where, name) + "\" is not an object");
    return true;
  }

  bool array_member(const Value& object, const char* name, std::string_view where, const Value*& out) {
    out = find(object, name);
    if (out && !out->IsArray()) return fail("\"" + path(where, name) + "\" is not a list");
    return true;
  }

  bool header(const Value& object, std::string_view where, Header& out) {
    const Value* h = nullptr;
    if (!object_member(object, "header", where, h)) return false;
    if (!h) return true;
    std::string at = path(where, "header");
    return integer(*h, "cluster_id", at, out.cluster_id) && integer(*h, "member_id", at, out.member_id) &&
           integer(*h, "revision", at, out.revision) && integer(*h, "raft_term", at, out.raft_term);
  }

  // Every etcd response has a header; a body without one is something else.
  bool require_header(const Value& object, std::string_view where) {
    if (find(object, "header")) return true;
    return fail(where.empty() ? "the body has no \"header\": it is no etcd response"
                              : "\"" + std::string(where) + "\" has no \"header\": it is no etcd response");
  }

  bool key_value(const Value& v, const std::string& where, KeyValue& out) {
    if (!v.IsObject()) return fail("\"" + where + "\" is not an object");
    return bytes(v, "key", where, out.key) && bytes(v, "value", where, out.value) &&
           integer(v, "create_revision", where, out.create_revision) &&
           integer(v, "mod_revision", where, out.mod_revision) && integer(v, "version", where, out.version) &&
           integer(v, "lease", where, out.lease);
  }

  bool range(const Value& object, std::string_view where, RangeResponse& out) {
    const Value* kvs = nullptr;
    if (!header(object, where, out.header) || !array_member(object, "kvs", where, kvs)) return false;
    if (kvs) {
      out.kvs.reserve(kvs->Size());
      for (rapidjson::SizeType i = 0; i < kvs->Size(); ++i) {
        if (!key_value((*kvs)[i], path(where, "kvs") + "[" + std::to_string(i) + "]", out.kvs.emplace_back()))
          return false;
      }
    }
    return integer(object, "count", where, out.count) && boolean(object, "more", where, out.more);
  }

  bool put(const Value& object, std::string_view where, PutResponse& out) { return header(object, where, out.header); }

  bool delete_range(const Value& object, std::string_view where, DeleteResponse& out) {
    return header(object, where, out.header) && integer(object, "deleted", where, out.deleted);
  }

  bool op_response(const Value& v, const std::string& where, OpResponse& out) {
    if (!v.IsObject()) return fail("\"" + where + "\" is not an object");
    const Value* inner = nullptr;
    if (!object_member(v, "response_range", where, inner)) return false;
    if (inner) {
      out.kind = OpResponse::Kind::kRange;
      return range(*inner, path(where, "response_range"), out.range);
    }
    if (!object_member(v, "response_put", where, inner)) return false;
    if (inner) {
      out.kind = OpResponse::Kind::kPut;
      return put(*inner, path(where, "response_put"), out.put);
    }
    if (!object_member(v, "response_delete_range", where, inner)) return false;
    if (inner) {
      out.kind = OpResponse::Kind::kDelete;
      return delete_range(*inner, path(where, "response_delete_range"), out.delete_range);
    }
    // We send no nested txn, so "response_txn" is as unexpected as nothing.
    return fail("\"" + where + "\" is no range, put or delete response");
  }
};

// The parsed body, or the error that stands for it.
struct Body {
  rapidjson::Document doc;
  std::optional<Error> error;
};

Error malformed(std::string sentence) { return {Error::kMalformed, std::move(sentence)}; }

void parse_json(std::string_view text, Body& body) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    body.error = malformed("the body is empty");
    return;
  }
  if (!protocol::shallow_and_nul_free(text, kMaxDepth)) {
    body.error = malformed("the body holds a NUL byte or nests deeper than " + std::to_string(kMaxDepth));
    return;
  }
  body.doc.Parse<kParseFlags>(text.data(), text.size());
  if (body.doc.HasParseError()) {
    body.error =
        malformed(std::string("the body is not JSON: ") + rapidjson::GetParseError_En(body.doc.GetParseError()) +
                  " (at byte " + std::to_string(body.doc.GetErrorOffset()) + ")");
  } else if (!body.doc.IsObject()) {
    body.error = malformed("the body is not a JSON object");
  }
}

// etcd's error bodies: {"error":"..","message":"..","code":N} from a unary
// call, {"error":{"grpc_code":N,"message":"..",..}} from a stream. Responses
// always carry "header"; that tells them apart (LeaseGrantResponse has an
// "error" string field of its own).
std::optional<Error> etcd_error(const Value& object) {
  const Value* e = Reader::find(object, "error");
  if (!e || Reader::find(object, "header")) return std::nullopt;
  Reader r;
  Error out;
  if (e->IsString()) {
    r.text(object, "message", "", out.message);
    if (out.message.empty()) out.message.assign(e->GetString(), e->GetStringLength());
    r.integer(object, "code", "", out.code);
  } else if (e->IsObject()) {
    r.text(*e, "message", "error", out.message);
    r.integer(*e, "grpc_code", "error", out.code);
  } else {
    return malformed("\"error\" is neither a string nor an object");
  }
  if (!r.error.empty()) return malformed("an error body where " + r.error);
  if (out.code == 0) out.code = Error::kUnknown;  // 0 is OK in gRPC; an error must not read as one
  if (out.message.empty()) out.message = "etcd gave an error without a message";
  return out;
}

template <class T, class Fill>
Parsed<T> parse_response(std::string_view text, Fill fill) {
  Body body;
  parse_json(text, body);
  if (body.error) return {std::nullopt, std::move(*body.error)};
  if (std::optional<Error> e = etcd_error(body.doc)) return {std::nullopt, std::move(*e)};
  T out;
  Reader r;
  if (!fill(r, static_cast<const Value&>(body.doc), out)) return {std::nullopt, {r.code, std::move(r.error)}};
  return {std::move(out), {}};
}

// --- writing ---

void write_string(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void write_bytes(Writer& w, const char* name, std::string_view bytes) {
  w.Key(name);
  write_string(w, base64_encode(bytes));
}

void write_int(Writer& w, const char* name, int64_t n) {
  w.Key(name);
  write_string(w, std::to_string(n));
}

void range_fields(Writer& w, std::string_view key, std::string_view range_end, int64_t limit, int64_t revision) {
  write_bytes(w, "key", key);
  if (!range_end.empty()) write_bytes(w, "range_end", range_end);
  if (limit != 0) write_int(w, "limit", limit);
  if (revision != 0) write_int(w, "revision", revision);
}

void put_fields(Writer& w, std::string_view key, std::string_view value, int64_t lease) {
  write_bytes(w, "key", key);
  write_bytes(w, "value", value);
  if (lease != 0) write_int(w, "lease", lease);
}

void delete_fields(Writer& w, std::string_view key, std::string_view range_end) {
  write_bytes(w, "key", key);
  if (!range_end.empty()) write_bytes(w, "range_end", range_end);
}

// The proto names; the gateway also takes camelCase ("requestPut").
void write_op(Writer& w, const Op& op) {
  w.StartObject();
  switch (op.kind) {
    case Op::Kind::kRange:
      w.Key("request_range");
      break;
    case Op::Kind::kPut:
      w.Key("request_put");
      break;
    case Op::Kind::kDelete:
      w.Key("request_delete_range");
      break;
  }
  w.StartObject();
  switch (op.kind) {
    case Op::Kind::kRange:
      range_fields(w, op.key, op.range_end, 0, 0);
      break;
    case Op::Kind::kPut:
      put_fields(w, op.key, op.value, op.lease);
      break;
    case Op::Kind::kDelete:
      delete_fields(w, op.key, op.range_end);
      break;
  }
  w.EndObject();
  w.EndObject();
}

void write_ops(Writer& w, const char* name, const std::vector<Op>& ops) {
  w.Key(name);
  w.StartArray();
  for (const Op& op : ops) write_op(w, op);
  w.EndArray();
}

const char* target_name(Compare::Target t) {
  switch (t) {
    case Compare::Target::kCreate:
      return "CREATE";
    case Compare::Target::kMod:
      return "MOD";
    case Compare::Target::kVersion:
      return "VERSION";
    case Compare::Target::kValue:
      return "VALUE";
    case Compare::Target::kLease:
      return "LEASE";
  }
  return "CREATE";
}

const char* result_name(Compare::Result r) {
  switch (r) {
    case Compare::Result::kEqual:
      return "EQUAL";
    case Compare::Result::kGreater:
      return "GREATER";
    case Compare::Result::kLess:
      return "LESS";
    case Compare::Result::kNotEqual:
      return "NOT_EQUAL";
  }
  return "EQUAL";
}

// The operand goes in even when zero: it is a oneof, and naming it says
// which one is meant.
void write_compare(Writer& w, const Compare& c) {
  w.StartObject();
  write_bytes(w, "key", c.key);
  w.Key("target");
  w.String(target_name(c.target));
  w.Key("result");
  w.String(result_name(c.result));
  switch (c.target) {
    case Compare::Target::kCreate:
      write_int(w, "create_revision", c.number);
      break;
    case Compare::Target::kMod:
      write_int(w, "mod_revision", c.number);
      break;
    case Compare::Target::kVersion:
      write_int(w, "version", c.number);
      break;
    case Compare::Target::kLease:
      write_int(w, "lease", c.number);
      break;
    case Compare::Target::kValue:
      write_bytes(w, "value", c.value);
      break;
  }
  w.EndObject();
}

template <class Fields>
std::string object(Fields fields) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  fields(w);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += rest == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t digits = last ? 4 - padding : 4;  // '=' elsewhere fails the table
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      uint8_t d = j < digits ? kDecode[static_cast<unsigned char>(text[i + j])] : 0;
      if (d == kNotBase64) return std::nullopt;
      n = n << 6 | d;
    }
    out += char(n >> 16 & 0xff);
    if (digits > 2) out += char(n >> 8 & 0xff);
    if (digits > 3) out += char(n & 0xff);
    // Canonical only: the bits under the padding are zero.
    if ((digits == 2 && (n & 0xffff) != 0) || (digits == 3 && (n & 0xff) != 0)) return std::nullopt;
  }
  return out;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

Parsed<RangeResponse> parse_range(std::string_view body) {
  return parse_response<RangeResponse>(body, [](Reader& r, const Value& v, RangeResponse& out) {
    return r.require_header(v, "") && r.range(v, "", out);
  });
}

Parsed<PutResponse> parse_put(std::string_view body) {
  return parse_response<PutResponse>(
      body, [](Reader& r, const Value& v, PutResponse& out) { return r.require_header(v, "") && r.put(v, "", out); });
}

Parsed<DeleteResponse> parse_delete(std::string_view body) {
  return parse_response<DeleteResponse>(body, [](Reader& r, const Value& v, DeleteResponse& out) {
    return r.require_header(v, "") && r.delete_range(v, "", out);
  });
}

Parsed<TxnResponse> parse_txn(std::string_view body) {
  return parse_response<TxnResponse>(body, [](Reader& r, const Value& v, TxnResponse& out) {
    const Value* responses = nullptr;
    if (!r.require_header(v, "") || !r.header(v, "", out.header) || !r.boolean(v, "succeeded", "", out.succeeded) ||
        !r.array_member(v, "responses", "", responses))
      return false;
    if (!responses) return true;
    out.responses.reserve(responses->Size());
    for (rapidjson::SizeType i = 0; i < responses->Size(); ++i) {
      if (!r.op_response((*responses)[i], "responses[" + std::to_string(i) + "]", out.responses.emplace_back()))
        return false;
    }
    return true;
  });
}

Parsed<LeaseGrant> parse_lease_grant(std::string_view body) {
  return parse_response<LeaseGrant>(body, [](Reader& r, const Value& v, LeaseGrant& out) {
    std::string error;
    if (!r.require_header(v, "") || !r.header(v, "", out.header) || !r.integer(v, "ID", "", out.id) ||
        !r.integer(v, "TTL", "", out.ttl) || !r.text(v, "error", "", error))
      return false;
    // LeaseGrantResponse's own "error" field; etcd 3.4 answers failures with
    // a status instead, but a filled one must not pass for a lease.
    if (!error.empty()) {
      r.code = Error::kUnknown;
      return r.fail("etcd refused the grant: " + error);
    }
    if (out.id == 0) return r.fail("the grant names no lease (\"ID\" is absent or 0)");
    return true;
  });
}

Parsed<LeaseKeepAlive> parse_lease_keepalive(std::string_view body) {
  // Go's JSON has no raw newline inside a message: each line is one.
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos) body = body.substr(start, body.find('\n', start) - start);
  Body doc;
  parse_json(body, doc);
  if (doc.error) return {std::nullopt, std::move(*doc.error)};
  if (std::optional<Error> e = etcd_error(doc.doc)) return {std::nullopt, std::move(*e)};
  Reader r;
  const Value* result = nullptr;
  if (!r.object_member(doc.doc, "result", "", result)) return {std::nullopt, malformed(std::move(r.error))};
  if (!result) return {std::nullopt, malformed("the body has neither \"result\" nor \"error\"")};
  LeaseKeepAlive out;
  if (!r.require_header(*result, "result") || !r.header(*result, "result", out.header) ||
      !r.integer(*result, "ID", "result", out.id) || !r.integer(*result, "TTL", "result", out.ttl))
    return {std::nullopt, malformed(std::move(r.error))};
  return {std::move(out), {}};
}

Parsed<LeaseRevoke> parse_lease_revoke(std::string_view body) {
  return parse_response<LeaseRevoke>(body, [](Reader& r, const Value& v, LeaseRevoke& out) {
    return r.require_header(v, "") && r.header(v, "", out.header);
  });
}

std::string range_request(std::string_view key, std::string_view range_end, int64_t limit, int64_t revision) {
  return object([&](Writer& w) { range_fields(w, key, range_end, limit, revision); });
}

std::string put_request(std::string_view key, std::string_view value, int64_t lease) {
  return object([&](Writer& w) { put_fields(w, key, value, lease); });
}

std::string delete_request(std::string_view key, std::string_view range_end) {
  return object([&](Writer& w) { delete_fields(w, key, range_end); });
}

std::string txn_request(const std::vector<Compare>& compares, const std::vector<Op>& success,
                        const std::vector<Op>& failure) {
  return object([&](Writer& w) {
    w.Key("compare");
    w.StartArray();
    for (const Compare& c : compares) write_compare(w, c);
    w.EndArray();
    write_ops(w, "success", success);
    write_ops(w, "failure", failure);
  });
}

std::string lease_grant_request(int64_t ttl_seconds, int64_t id) {
  return object([&](Writer& w) {
    write_int(w, "TTL", ttl_seconds);
    if (id != 0) write_int(w, "ID", id);
  });
}

std::string lease_keepalive_request(int64_t id) {
  return object([&](Writer& w) { write_int(w, "ID", id); });
}

std::string lease_revoke_request(int64_t id) {
  return object([&](Writer& w) { write_int(w, "ID", id); });
}

}  // namespace backend::plugins::cluster::etcd
