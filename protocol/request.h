// A request payload: COMMAND, or COMMAND ' ' JSON-object.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace backend::protocol {

inline constexpr std::string_view kParamsDecodeFailed = "params decode failed";

// Small params (credentials, a job's settings) are parsed into a buffer
// inside the request: no allocation per request on the hot path. Larger
// ones spill into chunks the pool allocates. Not movable: params point into
// it; copy what must outlive it with CopyFrom.
struct Request {
  Request() : pool(buffer, sizeof buffer), params(&pool) {}
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  std::string command;
  alignas(8) char buffer[1024];
  rapidjson::MemoryPoolAllocator<> pool;
  // Always an object after a successful parse ({} when none were sent).
  rapidjson::Document params;
};

// Parses a payload. On failure returns the error sentence for a FAILED reply
// ("params decode failed" when the JSON does not parse or is not an object).
// Parsing is iterative, so deep nesting cannot overflow the stack, and
// invalid UTF-8 is refused, as is nesting deeper than 512 levels (PHP's
// json_decode limit, which later recursive walks rely on). The payload is
// trimmed of surrounding whitespace first, as the original did.
std::optional<std::string> parse_request(std::string_view payload, Request& out);

// True when the command is well formed: upper-case ASCII letters, digits, '_'
// and at most one '.', as in STATUSALL or AUTH.ADD; it starts with a letter,
// the '.' stands between two non-empty parts, and it is at most 64 bytes.
bool is_command_name(std::string_view command);

// Removes the "auth" member and returns it (null when absent). The auth
// plugin reads it; nothing else may see or store it. Duplicates are all
// removed (the first is returned). The returned value still lives in params'
// allocator: use it while params lives, or CopyFrom it.
rapidjson::Value take_auth(rapidjson::Document& params);

// JSON text nesting no deeper than max_depth, without NUL bytes: RapidJSON
// takes a NUL after the root value for the end of input, so "{}\0junk"
// would pass as "{}". Checked before parsing what a peer sends.
bool shallow_and_nul_free(std::string_view json, int max_depth);

}  // namespace backend::protocol
