#include "plugins/auth/auth_plugin.h"

#include <array>

#include <sodium.h>

#include "plugins/auth/password.h"
#include "worker/common/pool.h"
#include "plugins/settings_block.h"
#include "worker/common/log.h"

namespace backend::plugins::auth {
namespace {

constexpr const char* kUsersFile = "/users.json";

std::unique_ptr<Plugin> make() { return std::make_unique<AuthPlugin>(); }

constexpr const char* kWrongCredentials = "wrong username or password";

Reply denied(std::string why) { return {Code::kDenied, {}, std::move(why)}; }

// Both must be strings; the values are only borrowed from params.
bool read_credentials(const rapidjson::Value& params, std::string_view& username,
                      std::string_view& password) {
  if (!params.IsObject()) return false;
  auto auth = params.FindMember("auth");
  if (auth == params.MemberEnd() || !auth->value.IsObject()) return false;
  auto u = auth->value.FindMember("username");
  auto p = auth->value.FindMember("password");
  if (u == auth->value.MemberEnd() || p == auth->value.MemberEnd()) return false;
  if (!u->value.IsString() || !p->value.IsString()) return false;
  username = {u->value.GetString(), u->value.GetStringLength()};
  password = {p->value.GetString(), p->value.GetStringLength()};
  return true;
}

}  // namespace

AuthPlugin::AuthPlugin() : cache_(verify_password) {}

std::optional<std::string> AuthPlugin::configure(const rapidjson::Value& settings) {
  return read_settings(settings, {});
}

void AuthPlugin::inited(Host& host) {
  loop_ = host.loop;
  UserStore::Save save;
  if (host.save_file)
    save = [save_file = host.save_file](std::string text, UserStore::Result saved) {
      save_file(kUsersFile + 1, std::move(text), std::move(saved));  // the name without its '/'
    };
  store_.emplace(host.loop, host.data_dir + kUsersFile, std::move(save));
  cache_.clear();
  load_error_.clear();
  if (auto error = store_->load()) {
    // Failing closed: with the table unknown, nobody can be told apart.
    load_error_ = *error;
    spdlog::error("auth: {}; every request is refused until it is fixed", load_error_);
  }
}

std::optional<std::string> AuthPlugin::unusable() const {
  if (!store_) return "auth: the user table is not loaded yet";
  if (!load_error_.empty()) return "auth: the user table could not be read: " + load_error_;
  return std::nullopt;
}

Verdict AuthPlugin::received(std::string_view command, const rapidjson::Value& params) {
  if (auto why = unusable()) return {denied(*why), {}};
  const UserTable& table = store_->table();
  if (!table.guards()) return {};
  std::string_view username, password;
  if (!read_credentials(params, username, password))
    return {denied("auth.username and auth.password are required"), {}};
  const User* user = table.find(username);
  if (!user) return {denied(kWrongCredentials), {}};
  // A user may always read their own record (the dashboard's login asks
  // for it to learn the user's privileges); the password is still checked.
  const rapidjson::Value* asked = params.IsObject() && params.HasMember("username") ? &params["username"] : nullptr;
  bool own_record = command == "AUTH.GET" && asked && asked->IsString() &&
                    std::string_view(asked->GetString(), asked->GetStringLength()) == username;
  if (auto known = cache_.lookup(username, password, user->hash))
    return judge(*known, username, *user, own_record ? std::string_view() : command);
  // New credentials: argon2 takes tens of milliseconds, so it runs on the
  // thread pool while the request waits, and the loop serves the others.
  auto later = [this, name = std::string(username), pass = std::string(password), hash = user->hash,
                cmd = std::string(own_record ? std::string_view() : command)](Decided decided) mutable {
    // Built before name and hash are moved away below: the order in which
    // a call's arguments are evaluated is the compiler's choice.
    auto then = [this, name, hash, cmd, decided](bool ok) {
      // The user may have changed while the hash ran.
      const User* now = store_ ? store_->table().find(name) : nullptr;
      if (!now || now->hash != hash) return decided(denied(kWrongCredentials));
      decided(judge(ok, name, *now, cmd).refusal);
    };
    verify_later(std::move(name), std::move(pass), std::move(hash), std::move(then));
  };
  return {std::nullopt, std::move(later)};
}

// Clients that arrive together with the same new credentials (a panel
// opening 32 connections at once) wait for one hash, not 32.
void AuthPlugin::verify_later(std::string name, std::string password, std::string hash,
                              std::function<void(bool ok)> then) {
  CredentialCache::Digest key = cache_.key(name, password);
  auto [waiting, first] = verifying_.try_emplace(key);
  waiting->second.push_back(std::move(then));
  if (!first) {
    sodium_memzero(password.data(), password.size());
    return;
  }
  auto ok = std::make_shared<bool>(false);
  auto secret = std::make_shared<std::string>(std::move(password));
  worker::run_in_pool(loop_, [ok, secret, hash] { *ok = verify_password(hash, *secret); },
              [this, ok, secret, name, hash, key] {
                cache_.store(name, *secret, hash, *ok);
                sodium_memzero(secret->data(), secret->size());
                auto waiters = std::move(verifying_[key]);
                verifying_.erase(key);
                for (auto& w : waiters) w(*ok);
              });
}

// Unknown user and wrong password get the same sentence. An empty command
// is one any user may run.
Verdict AuthPlugin::judge(bool password_ok, std::string_view username, const User& user,
                          std::string_view command) const {
  if (!password_ok) return {denied(kWrongCredentials), {}};
  if (!command.empty() && !allows(user.privileges, command))
    return {denied("user \"" + std::string(username) + "\" may not run " + std::string(command)), {}};
  return {};
}

template <AuthPlugin::Method method>
void AuthPlugin::checked(const rapidjson::Value& params, Done done) {
  if (auto why = unusable()) return done({Code::kFailed, {}, *why});
  if (!params.IsObject()) return done({Code::kFailed, {}, "parameters must be an object"});
  (this->*method)(params, std::move(done));
}

std::span<const CommandSpec> AuthPlugin::commands() {
  static constexpr std::array<CommandSpec, 7> kCommands{{
      {"AUTH.GETENABLE", false, false, handler<&AuthPlugin::checked<&AuthPlugin::get_enable>>},
      {"AUTH.SETENABLE", false, true, handler<&AuthPlugin::checked<&AuthPlugin::set_enable>>},
      {"AUTH.ADD", false, true, handler<&AuthPlugin::checked<&AuthPlugin::add>>},
      {"AUTH.DELETE", false, true, handler<&AuthPlugin::checked<&AuthPlugin::remove>>},
      {"AUTH.UPDATE", false, true, handler<&AuthPlugin::checked<&AuthPlugin::update>>},
      {"AUTH.GET", false, false, handler<&AuthPlugin::checked<&AuthPlugin::get>>},
      {"AUTH.GETALL", false, false, handler<&AuthPlugin::checked<&AuthPlugin::get_all>>},
  }};
  return kCommands;
}

std::optional<bool> AuthPlugin::enabled_with_users(const std::string& plugin_data_dir,
                                                   std::string& error) {
  UserTable table;
  if (auto why = read_users(plugin_data_dir + kUsersFile, table)) {
    error = *why;
    return std::nullopt;
  }
  return table.guards();
}

const PluginInfo& auth_plugin_info() {
  static const PluginInfo info{"auth", Side::kListener, AuthPlugin::commands(), &make};
  return info;
}

}  // namespace backend::plugins::auth
