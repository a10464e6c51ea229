#include "worker/supervisor/job_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <rapidjson/document.h>

#include "worker/common/signal_name.h"
#include "worker/common/user_lookup.h"
#include "worker/supervisor/shell_words.h"

extern char** environ;

namespace backend::worker {
namespace {

std::string string_member(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                      : std::string();
}

std::string folder_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string extension_of(const std::string& path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  return path.substr(dot);
}

// An interpreter named without a slash is looked up in PATH, as a shell would.
std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    if (!extra.count(entry.substr(0, entry.find('=')))) env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::optional<std::string> switch_user(const std::string& user, SpawnSpec& out) {
  if (user.empty()) return std::nullopt;
  if (geteuid() != 0) return "user \"" + user + "\" is set but the server does not run as root";
  // Looked up here: NSS is no business for a forked child.
  Identity who;
  if (resolve_identity(user, who)) return "user \"" + user + "\" does not exist";
  out.uid = who.uid;
  out.gid = who.gid;
  out.groups = std::move(who.groups);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_run_settings(const std::string& json, RunSettings& out) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject()) return std::string("the job's stored settings are not readable");
  RunSettings s;
  s.command = string_member(d, "command");
  s.params = string_member(d, "params");
  s.interpreter = string_member(d, "interpreter");
  s.cwd = string_member(d, "cwd");
  s.user = string_member(d, "user");
  if (auto it = d.FindMember("env"); it != d.MemberEnd() && it->value.IsObject())
    for (auto& m : it->value.GetObject())
      if (m.value.IsString()) s.env[m.name.GetString()] = m.value.GetString();
  if (auto sig = string_member(d, "stopsignal"); !sig.empty()) s.stop_signal = signal_number(sig);
  if (s.stop_signal == 0) s.stop_signal = SIGTERM;
  if (auto it = d.FindMember("stoptimeout"); it != d.MemberEnd() && it->value.IsUint()) s.stop_timeout = it->value.GetUint();
  if (auto it = d.FindMember("writelog"); it != d.MemberEnd() && it->value.IsBool()) s.writelog = it->value.GetBool();
  out = std::move(s);
  return std::nullopt;
}

std::optional<std::string> resolve_command(const RunSettings& s, const std::map<std::string, std::string>& interpreters,
                                           SpawnSpec& out) {
  struct stat st {};
  if (s.command.empty() || stat(s.command.c_str(), &st) != 0)
    return "command path \"" + s.command + "\" does not exist";
  if (S_ISDIR(st.st_mode)) return "command path \"" + s.command + "\" is a folder";
  std::string error;
  auto words = split_shell_words(s.params, error);
  if (!words) return error;
  SpawnSpec spec;
  std::string interpreter = s.interpreter;
  if (interpreter.empty())
    if (auto it = interpreters.find(extension_of(s.command)); it != interpreters.end()) interpreter = it->second;
  if (!interpreter.empty()) {
    auto program = find_program(interpreter);
    if (!program) return "interpreter \"" + interpreter + "\" for \"" + s.command + "\" was not found";
    spec.program = *program;
    spec.argv = {interpreter, s.command};
  } else {
    if (access(s.command.c_str(), X_OK) != 0)
      return "command \"" + s.command + "\" is not executable and no interpreter is set for it";
    spec.program = s.command;
    spec.argv = {s.command};
  }
  spec.argv.insert(spec.argv.end(), words->begin(), words->end());
  spec.env = environment(s.env);
  spec.cwd = s.cwd.empty() ? folder_of(s.command) : s.cwd;
  if (auto err = switch_user(s.user, spec)) return err;
  out = std::move(spec);
  return std::nullopt;
}

}  // namespace backend::worker
