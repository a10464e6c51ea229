#include "protocol/response.h"

#include <cstdio>

#include <cmath>
#include <cstdint>

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

namespace backend::protocol {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\\ufffd";

// Length of the well-formed UTF-8 sequence starting at p (Unicode table
// 3-7: no overlongs, no surrogates, nothing past U+10FFFF), 0 if there is none.
size_t utf8_sequence(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
  }
  return len;
}

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    // The short forms PHP's json_encode uses, for readable output lines.
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: {
      const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(u, sizeof u);
    }
  }
}

// Output goes straight into a std::string: no intermediate buffer to copy.
struct StringOut {
  using Ch = char;
  std::string& s;
  void Put(char c) { s.push_back(c); }
  void Flush() {}
};

// Feeds a Value to rapidjson's Writer, except that strings and keys are
// escaped by append_json_string: the Writer would copy invalid UTF-8 (job
// output can hold any bytes) into the reply and make it unparseable. The
// Writer still places the commas and colons: an empty raw value makes it
// write the separator, then the escaped string is appended behind it, which
// is safe because the Writer writes to the same string without buffering.
class SafeStringHandler {
 public:
  explicit SafeStringHandler(std::string& out) : out_(out), stream_{out}, writer_(stream_) {}

  bool Null() { return writer_.Null(); }
  bool Bool(bool b) { return writer_.Bool(b); }
  bool Int(int i) { return writer_.Int(i); }
  bool Uint(unsigned u) { return writer_.Uint(u); }
  bool Int64(int64_t i) { return writer_.Int64(i); }
  bool Uint64(uint64_t u) { return writer_.Uint64(u); }
  // NaN and infinities have no JSON form; null keeps the output valid.
  bool Double(double d) { return std::isfinite(d) ? writer_.Double(d) : writer_.Null(); }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool) {
    return writer_.RawValue(s, len, rapidjson::kNumberType);
  }
  bool String(const char* s, rapidjson::SizeType len, bool) { return string(s, len); }
  bool Key(const char* s, rapidjson::SizeType len, bool) { return string(s, len); }
  bool StartObject() { return writer_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return writer_.EndObject(n); }
  bool StartArray() { return writer_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return writer_.EndArray(n); }

 private:
  bool string(const char* s, rapidjson::SizeType len) {
    bool ok = writer_.RawValue("", 0, rapidjson::kStringType);
    append_json_string(out_, std::string_view(s, len));
    return ok;
  }

  std::string& out_;
  StringOut stream_;
  rapidjson::Writer<StringOut> writer_;
};

void append_reply_json(std::string& out, Code code, std::string_view data_json, std::string_view error) {
  out += "{\"code\":\"";
  out += code_name(code);
  out += '"';
  if (!data_json.empty()) {
    out += ",\"data\":";
    out += data_json;
  }
  if (!error.empty()) {
    out += ",\"error\":";
    append_json_string(out, error);
  }
  out += '}';
}

}  // namespace

std::optional<Code> reply_code(std::string_view json) {
  constexpr std::string_view kStart = "{\"code\":\"";
  if (!json.starts_with(kStart)) return std::nullopt;
  json.remove_prefix(kStart.size());
  for (Code c : {Code::kOk, Code::kFailed, Code::kDenied, Code::kUnknown}) {
    std::string_view name = code_name(c);
    if (json.starts_with(name) && json.size() > name.size() && json[name.size()] == '"') return c;
  }
  return std::nullopt;
}

bool parse_reply(std::string_view json, Code& code, std::string& error) {
  rapidjson::Document reply;
  reply.Parse(json.data(), json.size());
  if (reply.HasParseError() || !reply.IsObject()) return false;
  auto field = [&](const char* key) {
    auto it = reply.FindMember(key);
    return it != reply.MemberEnd() && it->value.IsString()
               ? std::string_view(it->value.GetString(), it->value.GetStringLength())
               : std::string_view();
  };
  std::string_view name = field("code");
  for (Code c : {Code::kOk, Code::kFailed, Code::kDenied, Code::kUnknown})
    if (name == code_name(c)) {
      code = c;
      error = field("error");
      return true;
    }
  return false;
}

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kFailed: return "FAILED";
    case Code::kDenied: return "DENIED";
    case Code::kUnknown: return "UNKNOWN";
  }
  return "FAILED";
}

namespace {

// The frame's length, once its JSON is written after the header at `start`.
void patch_length(std::string& out, size_t start) {
  auto len = static_cast<uint32_t>(out.size() - start - 4);
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<char>((len >> (8 * i)) & 0xff);
}

}  // namespace

void append_reply(std::string& out, Code code, std::string_view data_json, std::string_view error) {
  // Write the JSON in place and patch the length in front, so a big data
  // payload is copied once.
  size_t start = out.size();
  out.append(4, '\0');
  append_reply_json(out, code, data_json, error);
  patch_length(out, start);
}

size_t begin_ok_reply(std::string& out) {
  size_t start = out.size();
  out.append(4, '\0');
  out += "{\"code\":\"";
  out += code_name(Code::kOk);
  out += "\",\"data\":";
  return start;
}

void end_reply(std::string& out, size_t start) {
  out += '}';
  patch_length(out, start);
}

std::string reply_json(Code code, std::string_view data_json, std::string_view error) {
  std::string out;
  append_reply_json(out, code, data_json, error);
  return out;
}

std::string to_json(const rapidjson::Value& value) {
  std::string out;
  SafeStringHandler handler(out);
  value.Accept(handler);
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  out.reserve(out.size() + n + 2);
  out += '"';
  size_t run = 0;  // start of the bytes that are copied as they are
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t len = utf8_sequence(p + i, n - i);
      if (len > 0) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    if (c >= 0x80) {
      out += kReplacement;
    } else {
      append_escape(out, c);
    }
    run = ++i;
  }
  out.append(s.data() + run, n - run);
  out += '"';
}

void append_json_decimal(std::string& out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.1f", v);
  out.append(buf, static_cast<size_t>(n));
}

}  // namespace backend::protocol
