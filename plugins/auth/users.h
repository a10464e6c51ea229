// The user table and its file, DATA/users.json:
//
//   {"version": 1, "enable": true,
//    "users": {"alice": {"password": "$argon2id$...", "privileges": "START,STOP",
//                        "email": "..."}}}
//
// "password" holds the argon2id hash. A record whose "password" is not one
// is from the original, which kept passwords in clear: convert_plaintext()
// hashes those. Keys other than password and privileges are the user's own,
// kept as given.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/auth/privileges.h"

namespace backend::plugins::auth {

// Extra keys in the order given, each value as serialised JSON.
using ExtraKeys = std::vector<std::pair<std::string, std::string>>;

struct User {
  std::string hash;  // or a plaintext password until converted
  Privileges privileges;
  ExtraKeys extra;
};

struct UserTable {
  bool enabled = false;
  std::map<std::string, User, std::less<>> users;

  // Requests need credentials only when both hold, so that enabling auth
  // before adding the first user cannot lock everyone out.
  bool guards() const { return enabled && !users.empty(); }
  const User* find(std::string_view name) const;
  User* find(std::string_view name);
};

// Replaces an extra key's value, or appends the key.
void set_extra(ExtraKeys& extra, const std::string& key, std::string json);

// Parses a users.json text into out; the error sentence otherwise.
std::optional<std::string> parse_users(std::string_view text, UserTable& out);

// Reads path; a missing file is an empty table with auth off.
std::optional<std::string> read_users(const std::string& path, UserTable& out);

std::string serialise_users(const UserTable& table);

// Hashes every password still in clear. Returns how many were converted,
// or nullopt with error set when one could not be hashed.
std::optional<size_t> convert_plaintext(UserTable& table, std::string& error);

// A record as AUTH.GET returns it, never with the password or its hash:
// {"username": ..., "privileges": ..., extra keys...}.
std::string user_json(std::string_view name, const User& user);

// AUTH.GETALL: {"name": record, ...}, {} when there is none.
std::string users_json(const UserTable& table);

}  // namespace backend::plugins::auth
