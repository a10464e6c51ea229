// Replies: {"code": ..., "data": ..., "error": ...} in a frame.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace backend::protocol {

enum class Code { kOk, kFailed, kDenied, kUnknown };

std::string_view code_name(Code code);

// Appends one framed reply to out. data_json is already-serialised JSON
// (empty: no "data" key); error empty: no "error" key.
void append_reply(std::string& out, Code code, std::string_view data_json = {},
                  std::string_view error = {});

// An OK reply whose data is written straight into `out` after
// begin_ok_reply(out), then closed by end_reply(out, start): for data too
// large to be built apart and copied in (MEMALL of thousands of jobs).
// begin_ok_reply returns where the frame starts.
size_t begin_ok_reply(std::string& out);
void end_reply(std::string& out, size_t start);

// The same reply without the frame header: the JSON object alone.
std::string reply_json(Code code, std::string_view data_json = {}, std::string_view error = {});

// Reads a reply's code and error (empty when it has none), for a worker
// that asked the other one something; false when it is no reply.
bool parse_reply(std::string_view json, Code& code, std::string& error);

// The code of a reply this server wrote (reply_json's, which begins with
// it), without parsing the rest: for counting replies on the hot path.
std::optional<Code> reply_code(std::string_view json);

// Serialises a value compactly (as PHP's json_encode would, slashes unescaped).
std::string to_json(const rapidjson::Value& value);

// Appends s as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);
// A JSON number with one decimal ("12.5"): percentages of a core.
void append_json_decimal(std::string& out, double v);

}  // namespace backend::protocol
