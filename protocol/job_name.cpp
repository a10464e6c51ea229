#include "protocol/job_name.h"

#include <algorithm>

namespace backend::protocol {

namespace {

// A hostile name can be megabytes long; the error shows only its start.
constexpr size_t kShownBytes = 80;

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '@' || c == '-';
}

}  // namespace

std::string shown_bytes(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : name.substr(0, kShownBytes)) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  if (name.size() > kShownBytes) out += "...";
  return out;
}

bool is_valid_job_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxJobName || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), is_name_char);
}

std::optional<std::string_view> job_name_param(const rapidjson::Value& params, std::string& error) {
  const rapidjson::Value* value = nullptr;
  if (params.IsObject()) {
    auto it = params.FindMember("jobname");
    if (it != params.MemberEnd()) value = &it->value;
  }
  // null counts as absent, as PHP's isset() had it in the original.
  if (!value || value->IsNull()) {
    error = "jobname is required";
    return std::nullopt;
  }
  if (!value->IsString()) {
    error = "jobname must be a string";
    return std::nullopt;
  }
  std::string_view name(value->GetString(), value->GetStringLength());
  if (!is_valid_job_name(name)) {
    error = "jobname \"" + shown_bytes(name) +
            "\" is not valid: use 1 to 64 characters of A-Z a-z 0-9 _ . @ -, not \".\" or \"..\"";
    return std::nullopt;
  }
  return name;
}

}  // namespace backend::protocol
