// Passwords never come from the command line (where `ps` and the shell
// history would keep them): from an environment variable, or typed at a
// prompt on the terminal with echo off.
#pragma once

#include <string>

namespace backendctl {

// The password of the auth user: BACKEND_PASSWORD when set (even empty),
// else prompted for. UsageError when neither is possible.
std::string auth_password(const std::string& user);

// A password to store for a user: BACKEND_NEW_PASSWORD when set, else
// prompted for twice. UsageError when empty, mismatched or impossible.
std::string new_password(const std::string& user);

}  // namespace backendctl
