#include "plugins/auth/user_params.h"

#include "protocol/response.h"

namespace backend::plugins::auth {
namespace {

std::string_view view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Absent: nullopt and no error. Present but not a non-empty string: error.
std::optional<std::string> read_string(const rapidjson::Value& params, const char* name,
                                       std::string& error) {
  auto it = params.FindMember(name);
  if (it == params.MemberEnd()) return std::nullopt;
  if (!it->value.IsString() || it->value.GetStringLength() == 0) {
    error = std::string(name) + " must be a non-empty string";
    return std::nullopt;
  }
  return std::string(view(it->value));
}

std::optional<std::string> read_privileges(const rapidjson::Value& params, UserFields& out) {
  std::string error;
  auto it = params.FindMember("privileges");
  if (it == params.MemberEnd()) return std::nullopt;
  if (!it->value.IsString()) return "privileges must be a string, \"*\" or like \"START,STOP\"";
  out.privileges = parse_privileges(view(it->value), error);
  if (!out.privileges) return error;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_username(const rapidjson::Value& params, std::string& out) {
  std::string error;
  auto name = read_string(params, "username", error);
  if (!error.empty()) return error;
  if (!name) return "username is required";
  if (name->size() > kMaxUsername) return "username is longer than 64 bytes";
  // The credential cache separates fields with NUL.
  if (name->find('\0') != std::string::npos) return "username must not contain a NUL byte";
  out = std::move(*name);
  return std::nullopt;
}

std::optional<std::string> read_user_fields(const rapidjson::Value& params, bool adding,
                                            UserFields& out) {
  if (!params.IsObject()) return "parameters must be an object";
  if (auto error = read_username(params, out.username)) return error;
  std::string error;
  out.password = read_string(params, "password", error);
  if (!error.empty()) return error;
  if (adding && !out.password) return "password is required";
  if (auto bad = read_privileges(params, out)) return bad;
  if (adding && !out.privileges) return "privileges is required";
  for (const auto& m : params.GetObject()) {
    std::string_view key = view(m.name);
    if (key == "username" || key == "password" || key == "privileges") continue;
    set_extra(out.extra, std::string(key), protocol::to_json(m.value));
  }
  return std::nullopt;
}

}  // namespace backend::plugins::auth
