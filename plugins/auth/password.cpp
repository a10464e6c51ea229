#include "plugins/auth/password.h"

#include <sodium.h>

namespace backend::plugins::auth {
namespace {

bool sodium_ready() {
  // sodium_init is safe to call twice, but once is enough and the static
  // makes the first call thread-safe (hashes run on the thread pool too).
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

std::optional<std::string> hash_password(std::string_view password) {
  if (!sodium_ready()) return std::nullopt;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return std::nullopt;
  return std::string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
  if (!sodium_ready() || !is_password_hash(hash) || hash.size() >= crypto_pwhash_STRBYTES)
    return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool is_password_hash(std::string_view stored) { return stored.starts_with("$argon2id$"); }

}  // namespace backend::plugins::auth
