// The parameters of AUTH.ADD, AUTH.UPDATE and the commands naming a user,
// checked before anything is hashed or written.
#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "plugins/auth/privileges.h"
#include "plugins/auth/users.h"

namespace backend::plugins::auth {

inline constexpr size_t kMaxUsername = 64;

struct UserFields {
  std::string username;
  std::optional<std::string> password;
  std::optional<Privileges> privileges;
  ExtraKeys extra;  // every other key, kept as given
};

// username: a string of 1 to 64 bytes without NUL. Returns the error sentence.
std::optional<std::string> read_username(const rapidjson::Value& params, std::string& out);

// ADD needs password and privileges; UPDATE takes those given.
std::optional<std::string> read_user_fields(const rapidjson::Value& params, bool adding,
                                            UserFields& out);

}  // namespace backend::plugins::auth
