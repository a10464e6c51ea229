// PHP-style parameter values, accepted as PROTOCOL.md "Parameter types" says.
#pragma once

#include <cstdint>
#include <optional>

#include <rapidjson/document.h>

namespace backend::protocol {

// true/false, 1/0, "1", "0", "true", "false", "" (false). Nothing else.
std::optional<bool> coerce_bool(const rapidjson::Value& v);

// A JSON integer or a string of decimal digits (no sign, no spaces), within
// int64. Nothing else (no floats, no booleans).
std::optional<int64_t> coerce_int(const rapidjson::Value& v);

}  // namespace backend::protocol
