#include "protocol/request.h"

namespace backend::protocol {

namespace {

// PHP's json_decode refuses nesting deeper than 512 by default, and so did
// the original. The bound also matters here: the parse is iterative, but
// later walks over the parsed value (Accept, CopyFrom) recurse.
constexpr int kMaxDepth = 512;

// Command names are short; a cap keeps an absurd one out of logs and replies.
constexpr size_t kMaxCommandName = 64;

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// The original trimmed the payload (PHP trim(): space, \t, \n, \r, \0, \v).
std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace(" \t\n\r\v\0", 6);
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}


}  // namespace

std::optional<std::string> parse_request(std::string_view payload, Request& out) {
  // RapidJSON's pool never releases memory on re-parse: what an earlier
  // parse into out took goes first (the values pointing into it with it).
  out.params.SetNull();
  out.pool.Clear();
  out.params.SetObject();

  payload = trim(payload);
  size_t space = payload.find(' ');
  out.command.assign(payload.substr(0, space));
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view json = payload.substr(space + 1);
  if (json.empty()) return std::nullopt;

  if (!shallow_and_nul_free(json, kMaxDepth)) return std::string(kParamsDecodeFailed);
  out.params.Parse<kParseFlags>(json.data(), json.size());
  if (out.params.HasParseError() || !out.params.IsObject()) {
    out.params.SetObject();
    return std::string(kParamsDecodeFailed);
  }
  return std::nullopt;
}

bool is_command_name(std::string_view command) {
  if (command.empty() || command.size() > kMaxCommandName) return false;
  if (command.front() < 'A' || command.front() > 'Z') return false;
  bool dot = false;
  for (size_t i = 1; i < command.size(); ++i) {
    char c = command[i];
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') continue;
    // One dot, between two non-empty parts: PLUGIN.VERB.
    if (c != '.' || dot || i + 1 == command.size()) return false;
    dot = true;
  }
  return true;
}

rapidjson::Value take_auth(rapidjson::Document& params) {
  rapidjson::Value auth;
  if (!params.IsObject()) return auth;
  // Every "auth" goes, duplicates included, so that none can leak into stored
  // settings; the first one is returned, as FindMember would have found it.
  bool found = false;
  for (auto it = params.MemberBegin(); it != params.MemberEnd();) {
    if (it->name == "auth") {
      if (!found) auth = it->value;  // rapidjson assignment moves
      found = true;
      it = params.EraseMember(it);
    } else {
      ++it;
    }
  }
  return auth;
}

// Exact for valid JSON; anything else is refused by the parser anyway.
bool shallow_and_nul_free(std::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '\0') return false;
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace backend::protocol
