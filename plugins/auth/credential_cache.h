// Remembers credentials already checked, so that a client sending the same
// username and password on every request (the PHP client does, on a new
// connection each time) pays the slow argon2 verify once.
//
// Entries are keyed by a keyed digest (SipHash-x24, 128 bits, under a random
// per-process key) of username and password, and hold the stored hash they were checked
// against: the passwords themselves are never kept, and a changed hash can
// never match an old entry even if a forget_user() were missed. Failed checks are remembered too, as failures,
// so a client retrying a wrong password does not stall the loop each time.
#pragma once

#include <cstddef>
#include <functional>
#include <array>
#include <cstring>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sodium.h>

namespace backend::plugins::auth {

class CredentialCache {
 public:
  // SipHash-x24 under a random per-process key: a 128-bit keyed PRF, so
  // nobody without the key can make two passwords meet, and it costs a
  // fraction of BLAKE2b on every request that carries credentials.
  using Digest = std::array<unsigned char, crypto_shorthash_siphashx24_BYTES>;
  struct DigestHash {
    size_t operator()(const Digest& d) const {
      size_t h;
      std::memcpy(&h, d.data(), sizeof h);  // already uniform: it is a keyed hash
      return h;
    }
  };

  using Verify = std::function<bool(const std::string& hash, std::string_view password)>;

  explicit CredentialCache(Verify verify, size_t capacity = 1024);

  // True when password is the user's (hash is the user's stored hash).
  bool check(std::string_view username, std::string_view password, const std::string& hash);
  // The remembered outcome, or nullopt when these credentials are new: the
  // caller verifies them (off the loop) and says what it found with store().
  std::optional<bool> lookup(std::string_view username, std::string_view password, const std::string& hash) const;
  void store(std::string_view username, std::string_view password, const std::string& hash, bool ok);
  // What lookup() finds these credentials by (keyed: it reveals nothing).
  Digest key(std::string_view username, std::string_view password) const { return digest(username, password); }

  // Drops every entry of a user whose password or record changed.
  void forget_user(std::string_view username);
  void clear();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Digest digest;
    std::string username;
    std::string hash;  // the stored hash it was checked against
    bool ok;
  };

  Digest digest(std::string_view username, std::string_view password) const;
  void remember(const Digest& digest, std::string_view username, const std::string& hash, bool ok);

  Verify verify_;
  size_t capacity_;
  unsigned char key_[crypto_shorthash_siphashx24_KEYBYTES];
  std::list<Entry> entries_;  // oldest first, evicted from the front
  std::unordered_map<Digest, std::list<Entry>::iterator, DigestHash> index_;
};

}  // namespace backend::plugins::auth
