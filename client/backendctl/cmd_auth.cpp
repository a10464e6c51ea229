// The auth plugin's users and switch: auth getenable|setenable|add|delete|
// update|get|getall. New passwords come from BACKEND_NEW_PASSWORD or a
// prompt, never from the command line.
#include "commands.h"
#include "format.h"
#include "job_options.h"
#include "outcome.h"
#include "password.h"

namespace backendctl {
namespace {

using backend::client::Params;

bool parse_switch(const std::string& word) {
  if (word == "on" || word == "true" || word == "1" || word == "yes") return true;
  if (word == "off" || word == "false" || word == "0" || word == "no") return false;
  throw UsageError("expected on or off, not \"" + word + "\"");
}

Params extra_keys(const ParsedArgs& a) {
  Params p;
  for (const auto& v : a.values("set")) set_key_value(p, v);
  return p;
}

int getenable(Context& ctx, const ParsedArgs&) {
  return ctx.finish(ctx.backend().auth_getenable(), [](const rapidjson::Value& d) {
    if (!d.IsBool()) throw BadReply("the answer is not true or false");
    return std::string(d.GetBool() ? "on\n" : "off\n");
  });
}

int setenable(Context& ctx, const ParsedArgs& a) {
  bool on = parse_switch(a.positionals[0]);
  return ctx.finish(ctx.backend().auth_setenable(on));
}

int add(Context& ctx, const ParsedArgs& a) {
  const std::string& user = a.positionals[0];
  Params extra = extra_keys(a);
  auto& be = ctx.backend();  // first: its password prompt comes before the new one
  std::string password = new_password(user);
  return ctx.finish(be.auth_add(user, password, a.positionals[1], extra));
}

int remove(Context& ctx, const ParsedArgs& a) { return ctx.finish(ctx.backend().auth_delete(a.positionals[0])); }

int update(Context& ctx, const ParsedArgs& a) {
  const std::string& user = a.positionals[0];
  Params p = extra_keys(a);
  if (auto privileges = a.value("privileges")) p.set("privileges", *privileges);
  bool new_pw = a.has("password-prompt");
  if (p.empty() && !new_pw) throw UsageError("nothing to update: give --password-prompt, --privileges or --set");
  auto& be = ctx.backend();
  if (new_pw) p.set("password", new_password(user));
  return ctx.finish(be.auth_update(user, p));
}

int get(Context& ctx, const ParsedArgs& a) {
  return ctx.finish(ctx.backend().auth_get(a.positionals[0]), pretty_json_line);
}
int getall(Context& ctx, const ParsedArgs&) { return ctx.finish(ctx.backend().auth_getall(), pretty_json_line); }

constexpr std::string_view kAddDetails =
    "PRIVILEGES is \"*\" (everything) or a comma list of commands: START,STOP,READ.\n"
    "The password is BACKEND_NEW_PASSWORD when set, else typed twice at a prompt.\n"
    "\n"
    "Options:\n"
    "  --set KEY=VALUE   another field of the user's record (kept by the server);\n"
    "                    VALUE is JSON when it parses as JSON, else a string\n";

constexpr std::string_view kUpdateDetails =
    "Options:\n"
    "  --password-prompt     set a new password: BACKEND_NEW_PASSWORD when set,\n"
    "                        else typed twice at a prompt\n"
    "  --privileges PRIVS    \"*\" or a comma list of commands\n"
    "  --set KEY=VALUE       another field of the user's record\n";

constexpr std::string_view kSetenableDetails =
    "With auth on and at least one user, every request needs the global --user\n"
    "and a password of a user whose privileges name the command.\n";

}  // namespace

std::vector<Command> auth_commands() {
  const OptionSpec set{"set", 0, true};
  return {
      {"auth getenable", "", "Prints on or off: whether authentication is enabled.", "", {}, 0, 0, getenable},
      {"auth setenable", "on|off", "Enables or disables authentication.", kSetenableDetails, {}, 1, 1, setenable},
      {"auth add", "USER PRIVILEGES [--set KEY=VALUE]...", "Adds a user.", kAddDetails, {set}, 2, 2, add},
      {"auth delete", "USER", "Deletes a user.", "", {}, 1, 1, remove},
      {"auth update",
       "USER [--password-prompt] [--privileges PRIVS]",
       "Changes a user's password or privileges.",
       kUpdateDetails,
       {{"password-prompt", 0, false}, {"privileges", 0, true}, set},
       1,
       1,
       update},
      {"auth get", "USER", "Prints a user's record as JSON (never the password).", "", {}, 1, 1, get},
      {"auth getall", "", "Prints every user's record as JSON, by name.", "", {}, 0, 0, getall},
  };
}

}  // namespace backendctl
