// The auth plugin: every request passes received() first; when auth is on
// and a user exists, it must carry the credentials of a user allowed to run
// the command. Its own commands (AUTH.*) manage the users, kept in
// DATA/users.json (users.h).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plugins/auth/credential_cache.h"
#include "plugins/auth/user_params.h"
#include "plugins/auth/user_store.h"
#include "plugins/plugin.h"

namespace backend::plugins::auth {

class AuthPlugin : public Plugin {
 public:
  AuthPlugin();

  std::optional<std::string> configure(const rapidjson::Value& settings) override;
  void inited(Host& host) override;
  Verdict received(std::string_view command, const rapidjson::Value& params) override;
  // The plugin's commands, each with its handler.
  static std::span<const CommandSpec> commands();

  // For the master, before any loop runs: true when the users file in the
  // plugin's data folder turns auth on and holds at least one user, so that
  // listening beyond loopback is guarded; nullopt with error set when the
  // file cannot be read or parsed.
  static std::optional<bool> enabled_with_users(const std::string& plugin_data_dir,
                                                std::string& error);

 private:
  // Every command first finds the users file read and its params an
  // object; then its own method runs.
  using Method = void (AuthPlugin::*)(const rapidjson::Value& params, Done done);
  template <Method method>
  void checked(const rapidjson::Value& params, Done done);
  void get_enable(const rapidjson::Value& params, Done done);
  void set_enable(const rapidjson::Value& params, Done done);
  void add(const rapidjson::Value& params, Done done);
  void update(const rapidjson::Value& params, Done done);
  void remove(const rapidjson::Value& params, Done done);
  void get(const rapidjson::Value& params, Done done);
  void get_all(const rapidjson::Value& params, Done done);

  using Hashed = std::function<void(std::optional<std::string> hash)>;
  void hash_in_pool(std::string password, Hashed hashed);
  void update_with(UserFields fields, std::optional<std::string> hash, Done done);
  UserStore::Result committed(std::string username, std::string_view verb, Done done);
  std::optional<std::string> unusable() const;
  void verify_later(std::string name, std::string password, std::string hash, std::function<void(bool ok)> then);
  Verdict judge(bool password_ok, std::string_view username, const User& user, std::string_view command) const;

  uv_loop_t* loop_ = nullptr;
  std::optional<UserStore> store_;
  std::string load_error_;
  CredentialCache cache_;
  // Credentials being hashed on the pool, by cache key: who waits for them.
  std::unordered_map<CredentialCache::Digest, std::vector<std::function<void(bool ok)>>, CredentialCache::DigestHash>
      verifying_;
};

const PluginInfo& auth_plugin_info();

}  // namespace backend::plugins::auth
