// The AUTH.* commands. Changes go through the store, which answers only
// once users.json holds them; new passwords are hashed on the thread pool.
#include <memory>

#include "plugins/auth/auth_plugin.h"
#include "plugins/auth/password.h"
#include "worker/common/pool.h"
#include "protocol/coerce.h"
#include "worker/common/log.h"

namespace backend::plugins::auth {
namespace {

Reply failed(std::string why) { return {Code::kFailed, {}, std::move(why)}; }

std::string no_such_user(const std::string& name) {
  return "user \"" + name + "\" does not exist";
}

std::string user_exists(const std::string& name) { return "user \"" + name + "\" already exists"; }

}  // namespace

void AuthPlugin::get_enable(const rapidjson::Value&, Done done) {
  done({Code::kOk, store_->table().enabled ? "true" : "false", {}});
}

void AuthPlugin::set_enable(const rapidjson::Value& params, Done done) {
  auto it = params.FindMember("enable");
  if (it == params.MemberEnd()) return done(failed("enable is required"));
  auto on = protocol::coerce_bool(it->value);
  if (!on)
    return done(failed(
        "enable must be a boolean: true, false, 1, 0, \"1\", \"0\", \"true\", \"false\" or \"\""));
  store_->change(
      [on = *on](UserTable& table) {
        table.enabled = on;
        return std::nullopt;
      },
      [this, on = *on, done](const std::optional<std::string>& error) {
        if (error) return done(failed(*error));
        cache_.clear();
        spdlog::info("auth: authentication {}", on ? "enabled" : "disabled");
        done({});
      });
}

void AuthPlugin::add(const rapidjson::Value& params, Done done) {
  UserFields fields;
  if (auto error = read_user_fields(params, true, fields)) return done(failed(*error));
  // Checked again at the write: this only spares a useless hash.
  if (store_->table().find(fields.username)) return done(failed(user_exists(fields.username)));
  std::string password = std::move(*fields.password);
  fields.password.reset();
  hash_in_pool(std::move(password), [this, fields, done](std::optional<std::string> hash) {
    if (!hash) return done(failed("the password could not be hashed (out of memory?)"));
    User user{std::move(*hash), *fields.privileges, fields.extra};
    store_->change(
        [name = fields.username, user](UserTable& table) -> std::optional<std::string> {
          if (table.find(name)) return user_exists(name);
          table.users.emplace(name, user);
          return std::nullopt;
        },
        committed(fields.username, "added", done));
  });
}

void AuthPlugin::update(const rapidjson::Value& params, Done done) {
  UserFields fields;
  if (auto error = read_user_fields(params, false, fields)) return done(failed(*error));
  if (!store_->table().find(fields.username)) return done(failed(no_such_user(fields.username)));
  if (!fields.password) return update_with(std::move(fields), std::nullopt, std::move(done));
  std::string password = std::move(*fields.password);
  fields.password.reset();
  hash_in_pool(std::move(password), [this, fields, done](std::optional<std::string> hash) {
    if (!hash) return done(failed("the password could not be hashed (out of memory?)"));
    update_with(fields, std::move(hash), done);
  });
}

void AuthPlugin::update_with(UserFields fields, std::optional<std::string> hash, Done done) {
  std::string name = fields.username;
  store_->change(
      [fields = std::move(fields), hash = std::move(hash)](
          UserTable& table) -> std::optional<std::string> {
        User* user = table.find(fields.username);
        if (!user) return no_such_user(fields.username);
        if (hash) user->hash = *hash;
        if (fields.privileges) user->privileges = *fields.privileges;
        for (const auto& [key, json] : fields.extra) set_extra(user->extra, key, json);
        return std::nullopt;
      },
      committed(std::move(name), "updated", std::move(done)));
}

void AuthPlugin::remove(const rapidjson::Value& params, Done done) {
  std::string name;
  if (auto error = read_username(params, name)) return done(failed(*error));
  store_->change(
      [name](UserTable& table) -> std::optional<std::string> {
        if (table.users.erase(name) == 0) return no_such_user(name);
        return std::nullopt;
      },
      committed(name, "deleted", std::move(done)));
}

void AuthPlugin::get(const rapidjson::Value& params, Done done) {
  std::string name;
  if (auto error = read_username(params, name)) return done(failed(*error));
  const User* user = store_->table().find(name);
  if (!user) return done(failed(no_such_user(name)));
  done({Code::kOk, user_json(name, *user), {}});
}

void AuthPlugin::get_all(const rapidjson::Value&, Done done) { done({Code::kOk, users_json(store_->table()), {}}); }

void AuthPlugin::hash_in_pool(std::string password, Hashed hashed) {
  auto secret = std::make_shared<std::string>(std::move(password));
  auto hash = std::make_shared<std::optional<std::string>>();
  worker::run_in_pool(
      loop_, [secret, hash] { *hash = hash_password(*secret); },
      [hash, hashed = std::move(hashed)] { hashed(std::move(*hash)); });
}

UserStore::Result AuthPlugin::committed(std::string username, std::string_view verb, Done done) {
  return [this, username = std::move(username), verb, done = std::move(done)](
             const std::optional<std::string>& error) {
    if (error) return done(failed(*error));
    // Old credentials must stop working at once, not when evicted.
    cache_.forget_user(username);
    spdlog::info("auth: user \"{}\" {}", username, verb);
    done({});
  };
}

}  // namespace backend::plugins::auth
