#include "plugins/auth/users.h"

#include <rapidjson/document.h>

#include "plugins/auth/password.h"
#include "protocol/coerce.h"
#include "protocol/response.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::auth {
namespace {

constexpr int kVersion = 1;

std::string_view view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::optional<std::string> parse_user(std::string_view name, const rapidjson::Value& record,
                                      User& out) {
  std::string who = "users.json: user \"" + std::string(name) + "\": ";
  if (!record.IsObject()) return who + "the record is not an object";
  auto password = record.FindMember("password");
  if (password == record.MemberEnd() || !password->value.IsString())
    return who + "password is missing or not a string";
  auto privileges = record.FindMember("privileges");
  if (privileges == record.MemberEnd() || !privileges->value.IsString())
    return who + "privileges is missing or not a string";
  std::string error;
  auto parsed = parse_privileges(view(privileges->value), error);
  if (!parsed) return who + error;
  out.hash.assign(view(password->value));
  out.privileges = std::move(*parsed);
  for (const auto& m : record.GetObject()) {
    std::string_view key = view(m.name);
    // A "username" inside a record (the original kept one) would only
    // repeat the table's key, which is the one that counts.
    if (key == "password" || key == "privileges" || key == "username") continue;
    set_extra(out.extra, std::string(key), protocol::to_json(m.value));
  }
  return std::nullopt;
}

void append_record(std::string& out, const User& user, const std::string* hash) {
  out += '{';
  if (hash) {
    out += "\"password\":";
    protocol::append_json_string(out, *hash);
    out += ',';
  }
  out += "\"privileges\":";
  protocol::append_json_string(out, format_privileges(user.privileges));
  for (const auto& [key, json] : user.extra) {
    out += ',';
    protocol::append_json_string(out, key);
    out += ':';
    out += json;
  }
  out += '}';
}

}  // namespace

const User* UserTable::find(std::string_view name) const {
  auto it = users.find(name);
  return it == users.end() ? nullptr : &it->second;
}

User* UserTable::find(std::string_view name) {
  auto it = users.find(name);
  return it == users.end() ? nullptr : &it->second;
}

void set_extra(ExtraKeys& extra, const std::string& key, std::string json) {
  for (auto& [k, v] : extra) {
    if (k == key) {
      v = std::move(json);
      return;
    }
  }
  extra.emplace_back(key, std::move(json));
}

std::optional<std::string> parse_users(std::string_view text, UserTable& out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return "users.json is not a JSON object";
  auto version = doc.FindMember("version");
  if (version != doc.MemberEnd() && !(version->value.IsInt() && version->value.GetInt() == kVersion))
    return "users.json: version is not 1 (written by a newer server?)";
  UserTable table;
  if (auto enable = doc.FindMember("enable"); enable != doc.MemberEnd()) {
    auto on = protocol::coerce_bool(enable->value);
    if (!on) return "users.json: enable is not a boolean";
    table.enabled = *on;
  }
  if (auto users = doc.FindMember("users"); users != doc.MemberEnd()) {
    if (!users->value.IsObject()) return "users.json: users is not an object";
    for (const auto& m : users->value.GetObject()) {
      User user;
      if (auto error = parse_user(view(m.name), m.value, user)) return error;
      table.users.insert_or_assign(std::string(view(m.name)), std::move(user));
    }
  }
  out = std::move(table);
  return std::nullopt;
}

std::optional<std::string> read_users(const std::string& path, UserTable& out) {
  std::string error;
  auto text = worker::read_file(path, error);
  if (!text) {
    if (!error.empty()) return error;
    out = UserTable{};
    return std::nullopt;
  }
  return parse_users(*text, out);
}

std::string serialise_users(const UserTable& table) {
  std::string out = "{\"version\":" + std::to_string(kVersion) + ",\"enable\":";
  out += table.enabled ? "true" : "false";
  out += ",\"users\":{";
  bool first = true;
  for (const auto& [name, user] : table.users) {
    if (!first) out += ',';
    first = false;
    protocol::append_json_string(out, name);
    out += ':';
    append_record(out, user, &user.hash);
  }
  out += "}}\n";
  return out;
}

std::optional<size_t> convert_plaintext(UserTable& table, std::string& error) {
  size_t converted = 0;
  for (auto& [name, user] : table.users) {
    if (is_password_hash(user.hash)) continue;
    auto hash = hash_password(user.hash);
    if (!hash) {
      error = "the password of user \"" + name + "\" could not be hashed";
      return std::nullopt;
    }
    user.hash = std::move(*hash);
    ++converted;
  }
  return converted;
}

std::string user_json(std::string_view name, const User& user) {
  std::string out = "{\"username\":";
  protocol::append_json_string(out, name);
  out += ',';
  std::string record;
  append_record(record, user, nullptr);
  out.append(record, 1);  // behind the username, without the record's '{'
  return out;
}

std::string users_json(const UserTable& table) {
  std::string out = "{";
  for (const auto& [name, user] : table.users) {
    if (out.size() > 1) out += ',';
    protocol::append_json_string(out, name);
    out += ':';
    out += user_json(name, user);
  }
  out += '}';
  return out;
}

}  // namespace backend::plugins::auth
