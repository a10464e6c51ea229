// Password hashes: argon2id through libsodium's crypto_pwhash_str, salted and
// self-describing ("$argon2id$v=19$m=...,t=...,p=1$salt$hash").
//
// The cost is libsodium's INTERACTIVE preset (2 passes over 64 MiB, some
// 50-100 ms): the listener verifies on its loop when the credential cache
// misses, so a heavier preset would stall every other client for longer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace backend::plugins::auth {

// nullopt when libsodium cannot run or the hash ran out of memory.
std::optional<std::string> hash_password(std::string_view password);

// Constant-time check of a password against a stored hash; false for
// anything that is not a valid hash.
bool verify_password(const std::string& hash, std::string_view password);

// True for an argon2id string as hash_password writes it; the original's
// files held the password itself instead.
bool is_password_hash(std::string_view stored);

}  // namespace backend::plugins::auth
