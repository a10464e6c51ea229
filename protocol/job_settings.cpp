#include "protocol/job_settings.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/coerce.h"
#include "protocol/job_name.h"
#include "protocol/response.h"
#include "protocol/response.h"

namespace backend::protocol {

namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;
using Error = std::optional<std::string>;

std::string_view key_of(const Value& name) { return {name.GetString(), name.GetStringLength()}; }

// First occurrence wins, as with FindMember, so that every reader of the
// params (job_name_param included) agrees on what a duplicated key says.
std::vector<const Value::Member*> unique_members(const Value& object) {
  std::vector<const Value::Member*> out;
  std::unordered_set<std::string_view> seen;
  for (const auto& m : object.GetObject()) {
    if (seen.insert(key_of(m.name)).second) out.push_back(&m);
  }
  return out;
}

std::string must(std::string_view key, std::string_view what) {
  std::string s(key);
  s += " must ";
  s += what;
  return s;
}

// Strings that reach exec() or the environment: a NUL would cut them short.
Error check_string(std::string_view key, const Value& in, Value& out, Alloc& a) {
  if (!in.IsString()) return must(key, "be a string");
  std::string_view s(in.GetString(), in.GetStringLength());
  if (s.find('\0') != std::string_view::npos) return must(key, "not contain a NUL byte");
  out.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
  return std::nullopt;
}

Error check_command(std::string_view key, const Value& in, Value& out, Alloc& a) {
  if (auto e = check_string(key, in, out, a)) return e;
  if (out.GetStringLength() == 0) return must(key, "not be empty");
  return std::nullopt;
}

Error check_bool(std::string_view key, const Value& in, Value& out, Alloc&) {
  auto b = coerce_bool(in);
  if (!b) return must(key, "be a boolean");
  out.SetBool(*b);
  return std::nullopt;
}

template <int64_t kLo, int64_t kHi>
Error check_range(std::string_view key, const Value& in, Value& out, Alloc&) {
  auto n = coerce_int(in);
  if (!n || *n < kLo || *n > kHi) {
    return must(key, "be an integer from " + std::to_string(kLo) + " to " + std::to_string(kHi));
  }
  out.SetInt64(*n);
  return std::nullopt;
}

bool is_env_name(std::string_view name) {
  return !name.empty() && name.find_first_of(std::string_view("=\0", 2)) == std::string_view::npos;
}

Error check_env(std::string_view key, const Value& in, Value& out, Alloc& a) {
  if (!in.IsObject()) return must(key, "be an object of strings");
  out.SetObject();
  for (const auto* m : unique_members(in)) {
    if (!m->value.IsString()) return must(key, "be an object of strings");
    if (!is_env_name(key_of(m->name))) return must(key, "have names that are not empty, without \"=\" or NUL");
    Value v;
    if (check_string(key, m->value, v, a)) return must(key, "have values without NUL");
    out.AddMember(Value(m->name.GetString(), m->name.GetStringLength(), a), v, a);
  }
  return std::nullopt;
}

// Signals a process can be asked to stop with; the SIG prefix and case are
// optional on input and dropped when stored.
constexpr std::array<std::string_view, 9> kStopSignals{"HUP", "INT", "QUIT", "ABRT", "KILL",
                                                       "USR1", "USR2", "ALRM", "TERM"};

Error check_stopsignal(std::string_view key, const Value& in, Value& out, Alloc& a) {
  Error bad = must(key, "be a signal name: HUP, INT, QUIT, ABRT, KILL, USR1, USR2, ALRM or TERM");
  if (!in.IsString() || in.GetStringLength() > 16) return bad;
  std::string name(in.GetString(), in.GetStringLength());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
  if (name.starts_with("SIG")) name.erase(0, 3);
  if (std::find(kStopSignals.begin(), kStopSignals.end(), name) == kStopSignals.end()) return bad;
  out.SetString(name.data(), static_cast<rapidjson::SizeType>(name.size()), a);
  return std::nullopt;
}

using Check = Error (*)(std::string_view key, const Value& in, Value& out, Alloc& a);

struct Known {
  std::string_view key;
  Check check;
};

constexpr std::array<Known, 12> kKnown{{
    {"command", check_command},
    {"params", check_string},
    {"buffersize", check_range<1, 10000>},
    {"writelog", check_bool},
    {"autostart", check_bool},
    {"guard", check_bool},
    {"interpreter", check_string},
    {"cwd", check_string},
    {"user", check_string},
    {"env", check_env},
    {"stopsignal", check_stopsignal},
    {"stoptimeout", check_range<0, 86400>},
}};

const Known* find_known(std::string_view key) {
  for (const auto& k : kKnown) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

struct Entry {
  std::string_view key;  // points into the params, which outlive the entry
  Value value;           // allocated in the result document
  bool used = false;
};

// The params' settings, checked and normalised, in the order given. jobname
// is left out (it is read by job_name_param), and so is auth, always.
Error normalise(const Value& params, Alloc& a, std::vector<Entry>& out) {
  for (const auto* m : unique_members(params)) {
    std::string_view key = key_of(m->name);
    if (key == "auth" || key == "jobname") continue;
    Value v;
    if (const Known* known = find_known(key)) {
      if (auto e = known->check(key, m->value, v, a)) return e;
    } else {
      v.CopyFrom(m->value, a);
    }
    out.push_back({key, std::move(v), false});
  }
  return std::nullopt;
}

void add(Value& object, std::string_view key, Value& value, Alloc& a) {
  object.AddMember(Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), a), value, a);
}

// Moves the entry for key into the result, or the default when there is none.
void add_core(Value& object, std::vector<Entry>& entries, std::string_view key, Value fallback, Alloc& a) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  if (it != entries.end()) {
    it->used = true;
    add(object, key, it->value, a);
  } else {
    add(object, key, fallback, a);
  }
}

void add_unused(Value& object, std::vector<Entry>& entries, Alloc& a) {
  for (auto& e : entries) {
    if (!e.used) add(object, e.key, e.value, a);
  }
}

Error check_size(const Value& settings) {
  size_t n = to_json(settings).size();
  if (n <= kMaxSettingsBytes) return std::nullopt;
  return "settings are too large (" + std::to_string(n) + " bytes, at most " + std::to_string(kMaxSettingsBytes) +
         ")";
}

bool has_command(const Value& params) {
  auto it = params.FindMember("command");
  return it != params.MemberEnd() && !it->value.IsNull();
}

}  // namespace

std::optional<std::string> settings_for_add(const Value& params, rapidjson::Document& out) {
  std::string error;
  auto name = job_name_param(params, error);
  if (!name) return error;
  if (!has_command(params)) return "command is required";

  // Built apart and swapped in at the end: out keeps its old value on error.
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  std::vector<Entry> entries;
  if (auto e = normalise(params, a, entries)) return e;

  Value jobname(name->data(), static_cast<rapidjson::SizeType>(name->size()), a);
  add(doc, "jobname", jobname, a);
  add_core(doc, entries, "command", Value(), a);
  add_core(doc, entries, "params", Value("", a), a);
  add_core(doc, entries, "buffersize", Value(20), a);
  add_core(doc, entries, "writelog", Value(false), a);
  add_unused(doc, entries, a);

  if (auto e = check_size(doc)) return e;
  out.Swap(doc);
  return std::nullopt;
}

std::optional<std::string> settings_for_put(const std::string& job, std::string_view settings, std::string& stored) {
  rapidjson::Document params, checked;
  params.Parse(settings.data(), settings.size());
  if (params.HasParseError() || !params.IsObject()) return "settings are not a JSON object";
  params.AddMember("jobname", Value(job.c_str(), static_cast<rapidjson::SizeType>(job.size()), params.GetAllocator()),
                   params.GetAllocator());
  if (auto err = settings_for_add(params, checked)) return err;
  stored = to_json(checked);
  return std::nullopt;
}

std::optional<std::string> settings_for_update(const Value& params, const Value& current,
                                               rapidjson::Document& out) {
  std::string error;
  auto name = job_name_param(params, error);
  if (!name) return error;

  // current may live inside out (settings updated in place), so out is
  // only touched once the merge is complete.
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  std::vector<Entry> entries;
  if (auto e = normalise(params, a, entries)) return e;
  std::unordered_map<std::string_view, Entry*> changes;
  for (auto& e : entries) changes.emplace(e.key, &e);

  bool named = false;
  if (current.IsObject()) {
    // Keys keep their place; a changed value replaces the old one there.
    for (const auto& m : current.GetObject()) {
      std::string_view key = key_of(m.name);
      if (key == "auth") continue;
      named = named || key == "jobname";
      Value v;
      auto it = changes.find(key);
      if (it != changes.end() && !it->second->used) {
        it->second->used = true;
        v = it->second->value;  // rapidjson assignment moves
      } else {
        v.CopyFrom(m.value, a);
      }
      add(doc, key, v, a);
    }
  }
  if (!named) {
    Value jobname(name->data(), static_cast<rapidjson::SizeType>(name->size()), a);
    add(doc, "jobname", jobname, a);
  }
  add_unused(doc, entries, a);

  if (auto e = check_size(doc)) return e;
  out.Swap(doc);
  return std::nullopt;
}

std::string cluster_of_settings(const Value& settings) {
  if (!settings.IsObject()) return {};
  auto it = settings.FindMember("cluster");
  return it != settings.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                            : std::string();
}

}  // namespace backend::protocol
