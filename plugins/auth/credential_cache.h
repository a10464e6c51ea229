// Remembers credentials already checked, so that a client sending the same
// username and password on every request (the PHP client does, on a new
// connection each time) pays the slow argon2 verify once.
//
// Entries are keyed by a keyed digest (BLAKE2b under a random per-process
// key) of username and password, and hold the stored hash they were checked
// against: the passwords themselves are never kept, and a changed hash can
// never match an old entry even if a forget_user() were missed. Failed checks are remembered too, as failures,
// so a client retrying a wrong password does not stall the loop each time.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sodium.h>

namespace backend::plugins::auth {

class CredentialCache {
 public:
  using Verify = std::function<bool(const std::string& hash, std::string_view password)>;

  explicit CredentialCache(Verify verify, size_t capacity = 1024);

  // True when password is the user's (hash is the user's stored hash).
  bool check(std::string_view username, std::string_view password, const std::string& hash);
  // The remembered outcome, or nullopt when these credentials are new: the
  // caller verifies them (off the loop) and says what it found with store().
  std::optional<bool> lookup(std::string_view username, std::string_view password, const std::string& hash) const;
  void store(std::string_view username, std::string_view password, const std::string& hash, bool ok);
  // What lookup() finds these credentials by (keyed: it reveals nothing).
  std::string key(std::string_view username, std::string_view password) const { return digest(username, password); }

  // Drops every entry of a user whose password or record changed.
  void forget_user(std::string_view username);
  void clear();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string digest;
    std::string username;
    std::string hash;  // the stored hash it was checked against
    bool ok;
  };

  std::string digest(std::string_view username, std::string_view password) const;
  void remember(std::string digest, std::string_view username, const std::string& hash, bool ok);

  Verify verify_;
  size_t capacity_;
  unsigned char key_[32];
  crypto_generichash_state keyed_;  // the state right after keying
  std::list<Entry> entries_;  // oldest first, evicted from the front
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace backend::plugins::auth
