#include "plugins/auth/credential_cache.h"

#include <sodium.h>

namespace backend::plugins::auth {

CredentialCache::CredentialCache(Verify verify, size_t capacity)
    : verify_(std::move(verify)), capacity_(capacity == 0 ? 1 : capacity) {
  // randombytes wants sodium_init first; should that fail, it still reads
  // the system's random source, so the key is random either way.
  int ready = sodium_init();
  (void)ready;
  randombytes_buf(key_, sizeof key_);
}

bool CredentialCache::check(std::string_view username, std::string_view password,
                            const std::string& hash) {
  if (auto known = lookup(username, password, hash)) return *known;
  bool ok = verify_(hash, password);
  store(username, password, hash, ok);
  return ok;
}

std::optional<bool> CredentialCache::lookup(std::string_view username, std::string_view password,
                                            const std::string& hash) const {
  auto it = index_.find(digest(username, password));
  // The digest covers the username, but comparing it as well makes a
  // collision across users impossible rather than merely unlikely; a
  // changed hash never matches an entry made for the old one.
  if (it != index_.end() && it->second->username == username && it->second->hash == hash) return it->second->ok;
  return std::nullopt;
}

void CredentialCache::store(std::string_view username, std::string_view password, const std::string& hash,
                            bool ok) {
  remember(digest(username, password), username, hash, ok);
}

void CredentialCache::forget_user(std::string_view username) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->username != username) {
      ++it;
      continue;
    }
    index_.erase(it->digest);
    it = entries_.erase(it);
  }
}

void CredentialCache::clear() {
  index_.clear();
  entries_.clear();
}

// Every request with credentials computes one, so it stays cheap: one
// SipHash pass over "username NUL password" in a stack buffer.
CredentialCache::Digest CredentialCache::digest(std::string_view username, std::string_view password) const {
  // The NUL keeps ("ab", "c") and ("a", "bc") apart: usernames hold no NUL.
  std::array<unsigned char, 512> small;
  std::string large;
  size_t size = username.size() + 1 + password.size();
  unsigned char* in = small.data();
  if (size > small.size()) {
    large.resize(size);
    in = reinterpret_cast<unsigned char*>(large.data());
  }
  std::memcpy(in, username.data(), username.size());
  in[username.size()] = 0;
  std::memcpy(in + username.size() + 1, password.data(), password.size());
  Digest out;
  crypto_shorthash_siphashx24(out.data(), in, size, key_);
  sodium_memzero(in, size);  // it held a password
  return out;
}

void CredentialCache::remember(const Digest& digest, std::string_view username, const std::string& hash, bool ok) {
  if (auto old = index_.find(digest); old != index_.end()) {
    entries_.erase(old->second);
    index_.erase(old);
  }
  while (entries_.size() >= capacity_) {
    index_.erase(entries_.front().digest);
    entries_.pop_front();
  }
  entries_.push_back({digest, std::string(username), hash, ok});
  index_.emplace(digest, std::prev(entries_.end()));
}

}  // namespace backend::plugins::auth
