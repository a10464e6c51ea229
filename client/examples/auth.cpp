// The auth plugin: enable it, add a user, see a request without credentials
// DENIED and the same one with them succeed. At the end the user is deleted
// and auth set back to what it was, so the server is left as found.
//   example_auth [HOST [PORT]]
// The server must not be guarded already (auth enabled with users): the
// example would need their credentials.
#include "example.h"

using namespace example;

namespace {

const std::string kUser = "example-user";
const std::string kPassword = "example-password";
const std::string kNewPassword = "example-new-password";

Params credentials(const std::string& password) {
  return Params().set("auth", Params().set("username", kUser).set("password", password));
}

// An interrupted earlier run may have left the user, with either password.
void discard_user(Backend& be) {
  for (const auto& password : {kPassword, kNewPassword})
    if (be.auth_delete(kUser, credentials(password)).ok()) std::cout << "(removed a user left by an earlier run)\n";
}

void deny_then_allow(Backend& be, Run& run) {
  // Auth is skipped while no user exists: this user is what turns it on.
  Params extra = Params().set("comment", "added by the auth example");
  run.expect(call_text("auth_add", {quoted(kUser), quoted(kPassword), quoted("*"), extra.json()}),
             be.auth_add(kUser, kPassword, "*", extra));
  run.expect(call_text("auth_getall", {}), be.auth_getall(), Code::kDenied);
  Params change = Params().set("password", kNewPassword);
  run.expect(call_text("auth_update", {quoted(kUser), change.json()}), be.auth_update(kUser, change),
             Code::kDenied);
  Params with_auth = credentials(kPassword).set("password", kNewPassword);
  run.expect(call_text("auth_update", {quoted(kUser), with_auth.json()}), be.auth_update(kUser, with_auth));
  // From here on every call carries the credentials.
  std::cout << "set_auth(" << quoted(kUser) << ", " << quoted(kNewPassword) << ")\n";
  be.set_auth(kUser, kNewPassword);
  run.expect(call_text("auth_getall", {}), be.auth_getall());
  run.expect(call_text("auth_get", {quoted(kUser)}), be.auth_get(kUser));
  run.expect(call_text("statusall", {}), be.statusall());
}

void restore(Backend& be, Run& run, bool was_enabled) {
  run.expect(call_text("auth_delete", {quoted(kUser)}), be.auth_delete(kUser));
  run.expect(call_text("auth_setenable", {was_enabled ? "true" : "false"}), be.auth_setenable(was_enabled));
  run.expect(call_text("auth_getenable", {}), be.auth_getenable());
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  Backend be;
  if (auto status = open(argc, argv, be, args)) return *status;

  Run run;
  discard_user(be);
  Result enabled = be.auth_getenable();
  if (!run.expect(call_text("auth_getenable", {}), enabled)) {
    std::cout << "auth already guards this server: this example needs one without users\n";
    return run.exit_code();
  }
  bool was_enabled = enabled.data().IsBool() && enabled.data().GetBool();
  if (run.expect(call_text("auth_setenable", {"true"}), be.auth_setenable(true))) {
    run.expect(call_text("auth_getenable", {}), be.auth_getenable());
    deny_then_allow(be, run);
  }
  restore(be, run, was_enabled);
  return run.exit_code();
}
