#include "conf/config.h"

#include <climits>
#include <cstdio>
#include <functional>
#include <map>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "shm/segment.h"

namespace backend::conf {
namespace {

using Setter = std::function<std::optional<std::string>(const rapidjson::Value&, Config&)>;

std::string absolute(const std::string& path, const std::string& base) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return base + "/" + path;
}

Setter string_key(std::string Config::*field) {
  return [field](const rapidjson::Value& v, Config& c) -> std::optional<std::string> {
    if (!v.IsString()) return std::string("must be a string");
    c.*field = std::string(v.GetString(), v.GetStringLength());
    return std::nullopt;
  };
}

Setter uint_key(uint32_t Config::*field, uint32_t lo, uint32_t hi) {
  return [=](const rapidjson::Value& v, Config& c) -> std::optional<std::string> {
    if (!v.IsUint64() || v.GetUint64() < lo || v.GetUint64() > hi)
      return "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    c.*field = static_cast<uint32_t>(v.GetUint64());
    return std::nullopt;
  };
}

std::optional<std::string> set_listen(const rapidjson::Value& v, Config& c) {
  if (!v.IsString() || !parse_listen(v.GetString(), c.listen_host, c.listen_port))
    return std::string("must be a string \"HOST:PORT\"");
  return std::nullopt;
}

std::optional<std::string> set_log_level(const rapidjson::Value& v, Config& c) {
  static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (v.IsString())
    for (const char* l : levels)
      if (v.GetString() == std::string(l)) {
        c.log_level = l;
        return std::nullopt;
      }
  return std::string("must be one of trace, debug, info, warn, error, critical, off");
}

Setter bool_key(bool Config::*field) {
  return [field](const rapidjson::Value& v, Config& c) -> std::optional<std::string> {
    if (!v.IsBool()) return std::string("must be true or false");
    c.*field = v.GetBool();
    return std::nullopt;
  };
}

// "*", "a,b" (the original's form) or ["a", "b"].
std::optional<std::string> set_autoload_plugins(const rapidjson::Value& v, Config& c) {
  const std::string what = "must be \"*\", a comma-separated string or an array of plugin names";
  std::vector<std::string> names;
  auto add = [&](std::string name) {
    auto first = name.find_first_not_of(" \t"), last = name.find_last_not_of(" \t");
    if (first != std::string::npos) names.push_back(name.substr(first, last - first + 1));
  };
  if (v.IsString()) {
    std::string text(v.GetString(), v.GetStringLength());
    for (size_t at = 0, comma; at <= text.size(); at = comma + 1) {
      comma = text.find(',', at);
      if (comma == std::string::npos) comma = text.size();
      add(text.substr(at, comma - at));
    }
  } else if (v.IsArray()) {
    for (auto& n : v.GetArray()) {
      if (!n.IsString()) return what;
      add(std::string(n.GetString(), n.GetStringLength()));
    }
  } else {
    return what;
  }
  c.autoload_plugins = std::move(names);
  return std::nullopt;
}

std::optional<std::string> set_plugin_settings(const rapidjson::Value& v, Config& c) {
  if (!v.IsObject()) return std::string("must be an object of plugin name: settings object");
  std::map<std::string, std::string> blocks;
  for (auto& m : v.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsObject()) return "\"" + name + "\" must be an object";
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    m.value.Accept(w);
    blocks[name] = sb.GetString();
  }
  c.plugin_settings = std::move(blocks);
  return std::nullopt;
}

// "" turns the HTTP face off.
std::optional<std::string> set_http_listen(const rapidjson::Value& v, Config& c) {
  if (v.IsString() && v.GetStringLength() == 0) {
    c.http_port = 0;
    return std::nullopt;
  }
  if (!v.IsString() || !parse_listen(v.GetString(), c.http_host, c.http_port))
    return std::string("must be a string \"HOST:PORT\", or \"\" for none");
  return std::nullopt;
}

std::optional<std::string> set_http_hosts(const rapidjson::Value& v, Config& c) {
  const std::string what = "must be an array of host names";
  if (!v.IsArray()) return what;
  std::vector<std::string> names;
  for (auto& n : v.GetArray()) {
    if (!n.IsString() || n.GetStringLength() == 0) return what;
    names.emplace_back(n.GetString(), n.GetStringLength());
  }
  c.http_hosts = std::move(names);
  return std::nullopt;
}

std::optional<std::string> set_orphaned_jobs(const rapidjson::Value& v, Config& c) {
  if (v.IsString() && (v.GetString() == std::string("adopt") || v.GetString() == std::string("stop"))) {
    c.orphaned_jobs = v.GetString();
    return std::nullopt;
  }
  return std::string("must be \"adopt\" or \"stop\"");
}

// "0660" or "660", as chmod takes it.
std::optional<std::string> set_unix_socket_mode(const rapidjson::Value& v, Config& c) {
  const std::string what = "must be a string of three or four octal digits, as \"0660\"";
  if (!v.IsString()) return what;
  std::string text(v.GetString(), v.GetStringLength());
  if (text.size() == 4 && text[0] == '0') text.erase(0, 1);
  if (text.size() != 3 || text.find_first_not_of("01234567") != std::string::npos) return what;
  c.unix_socket_mode = static_cast<uint32_t>(std::stoul(text, nullptr, 8));
  return std::nullopt;
}

std::optional<std::string> set_cluster(const rapidjson::Value& v, Config& c) {
  return parse_cluster_config(v, c.cluster);
}

std::optional<std::string> set_interpreters(const rapidjson::Value& v, Config& c) {
  const std::string what = "must be an object of \".ext\": \"program\" strings";
  if (!v.IsObject()) return what;
  std::map<std::string, std::string> map;
  for (auto& m : v.GetObject()) {
    if (!m.value.IsString() || m.name.GetStringLength() < 2 || m.name.GetString()[0] != '.') return what;
    map[m.name.GetString()] = m.value.GetString();
  }
  c.interpreters = std::move(map);
  return std::nullopt;
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"listen", set_listen},
      {"data_dir", string_key(&Config::data_dir)},
      {"pidfile", string_key(&Config::pidfile)},
      {"shm_name", string_key(&Config::shm_name)},
      {"log_level", set_log_level},
      {"log_queries", bool_key(&Config::log_queries)},
      {"timezone", string_key(&Config::timezone)},
      {"job_capacity", uint_key(&Config::job_capacity, 1, 65536)},
      {"ring_bytes", uint_key(&Config::ring_bytes, 4096, 64u << 20)},
      {"server_ring_bytes", uint_key(&Config::server_ring_bytes, 4096, 64u << 20)},
      {"max_frame_bytes", uint_key(&Config::max_frame_bytes, 1024, 1u << 30)},
      {"idle_timeout", uint_key(&Config::idle_timeout, 1, 86400)},
      {"max_connections", uint_key(&Config::max_connections, 1, 1000000)},
      {"interpreters", set_interpreters},
      {"autoload_plugins", set_autoload_plugins},
      {"plugin_settings", set_plugin_settings},
      {"allow_insecure_remote", bool_key(&Config::allow_insecure_remote)},
      {"orphaned_jobs", set_orphaned_jobs},
      {"listener_user", string_key(&Config::listener_user)},
      {"unix_socket", string_key(&Config::unix_socket)},
      {"unix_socket_mode", set_unix_socket_mode},
      {"unix_socket_owner", string_key(&Config::unix_socket_owner)},
      {"http_listen", set_http_listen},
      {"http_hosts", set_http_hosts},
      {"cluster", set_cluster},
  };
  return table;
}

bool valid_shm_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name)
    if (c == '/' || c == '\0') return false;
  return true;
}

}  // namespace

bool parse_listen(const std::string& text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  std::string h = text.substr(0, colon), p = text.substr(colon + 1);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long n = std::stoul(p);
  if (n == 0 || n > 65535) return false;
  host = h;
  port = static_cast<uint16_t>(n);
  return true;
}

std::string http_listen_of(const Config& c) {
  if (c.http_port == 0) return "";
  bool v6 = c.http_host.find(':') != std::string::npos;
  return (v6 ? "[" + c.http_host + "]" : c.http_host) + ":" + std::to_string(c.http_port);
}

std::optional<std::string> parse_config(const std::string& text, const std::string& base_dir,
                                        Config& out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag |
            rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
  if (doc.HasParseError())
    return "not valid JSON at byte " + std::to_string(doc.GetErrorOffset()) + ": " +
           rapidjson::GetParseError_En(doc.GetParseError());
  if (!doc.IsObject()) return std::string("the config must be a JSON object");
  Config c;
  for (auto& m : doc.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    auto it = setters().find(key);
    if (it == setters().end()) return "unknown key \"" + key + "\"";
    if (auto err = it->second(m.value, c)) return "key \"" + key + "\" " + *err;
  }
  if (c.data_dir.empty()) return std::string("key \"data_dir\" is required");
  c.data_dir = absolute(c.data_dir, base_dir);
  c.pidfile = absolute(c.pidfile, base_dir);
  c.unix_socket = absolute(c.unix_socket, base_dir);
  out = std::move(c);
  return std::nullopt;
}

std::optional<std::string> finish_config(const Overrides& o, Config& c) {
  if (o.listen && !parse_listen(*o.listen, c.listen_host, c.listen_port))
    return "--listen \"" + *o.listen + "\" is not HOST:PORT";
  if (o.http_listen) {
    rapidjson::Value v(o.http_listen->c_str(), static_cast<rapidjson::SizeType>(o.http_listen->size()));
    if (set_http_listen(v, c)) return "--http-listen \"" + *o.http_listen + "\" is not HOST:PORT or \"\"";
  }
  if (o.data_dir) c.data_dir = *o.data_dir;
  if (o.shm_name) c.shm_name = *o.shm_name;
  if (c.pidfile.empty()) c.pidfile = c.data_dir + "/backend-server.pid";
  if (c.shm_name.empty()) c.shm_name = shm::segment_name_for(c.listen_host, c.listen_port);
  if (!valid_shm_name(c.shm_name)) return "shm_name \"" + c.shm_name + "\" may not contain '/'";
  if (c.cluster.enabled && c.cluster.address.empty())
    c.cluster.address = c.listen_host + ":" + std::to_string(c.listen_port);
  return finish_cluster_config(c.cluster);
}

std::optional<std::string> load_config(const std::string& path, const Overrides& overrides,
                                       Config& out) {
  // stdio, not iostreams: see run/backend_server_main.cpp.
  FILE* in = std::fopen(path.c_str(), "rbe");
  if (!in) return "cannot read config file " + path;
  std::string text;
  char buf[16384];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, in)) > 0;) text.append(buf, n);
  bool failed = std::ferror(in);
  std::fclose(in);
  if (failed) return "cannot read config file " + path;
  std::string base = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (base.empty()) base = "/";
  Config c;
  if (auto err = parse_config(text, base, c)) return path + ": " + *err;
  if (auto err = finish_config(overrides, c)) return *err;
  c.file = path;
  out = std::move(c);
  return std::nullopt;
}

std::string config_to_json(const Config& c) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  auto num = [&](const char* k, uint32_t v) {
    w.Key(k);
    w.Uint(v);
  };
  w.StartObject();
  str("listen", c.listen_host + ":" + std::to_string(c.listen_port));
  str("data_dir", c.data_dir);
  str("pidfile", c.pidfile);
  str("shm_name", c.shm_name);
  str("log_level", c.log_level);
  str("timezone", c.timezone);
  w.Key("log_queries");
  w.Bool(c.log_queries);
  num("job_capacity", c.job_capacity);
  num("ring_bytes", c.ring_bytes);
  num("server_ring_bytes", c.server_ring_bytes);
  num("max_frame_bytes", c.max_frame_bytes);
  num("idle_timeout", c.idle_timeout);
  num("max_connections", c.max_connections);
  w.Key("interpreters");
  w.StartObject();
  for (const auto& [ext, program] : c.interpreters) str(ext.c_str(), program);
  w.EndObject();
  w.Key("autoload_plugins");
  w.StartArray();
  for (const auto& name : c.autoload_plugins) w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
  w.EndArray();
  w.Key("plugin_settings");
  w.StartObject();
  for (const auto& [name, block] : c.plugin_settings) {
    w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.RawValue(block.c_str(), block.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  w.Key("allow_insecure_remote");
  w.Bool(c.allow_insecure_remote);
  str("orphaned_jobs", c.orphaned_jobs);
  str("listener_user", c.listener_user);
  str("unix_socket", c.unix_socket);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", c.unix_socket_mode);
  str("unix_socket_mode", mode);
  str("unix_socket_owner", c.unix_socket_owner);
  str("http_listen", http_listen_of(c));
  w.Key("http_hosts");
  w.StartArray();
  for (const auto& name : c.http_hosts) w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
  w.EndArray();
  w.Key("cluster");
  std::string cluster = cluster_config_to_json(c.cluster);
  w.RawValue(cluster.c_str(), cluster.size(), c.cluster.enabled ? rapidjson::kObjectType : rapidjson::kNullType);
  w.EndObject();
  return sb.GetString();
}

namespace {

// Copies the running values of the fields into next; true when any differed.
template <auto... Fields>
bool hold(const Config& running, Config& next) {
  bool changed = ((running.*Fields != next.*Fields) || ...);
  ((next.*Fields = running.*Fields), ...);
  return changed;
}

struct RestartOnly {
  const char* name;
  bool (*hold)(const Config& running, Config& next);
  bool named;  // in the warning: shm_name follows listen unless set, and a moved listener keeps its segment
};

// What the master made at start (the pidfile, the segment, the sockets, the
// listener's user) or the workers made once (the plugins they loaded).
constexpr RestartOnly kRestartOnly[] = {
    {"data_dir", hold<&Config::data_dir>, true},
    {"pidfile", hold<&Config::pidfile>, true},
    {"shm_name", hold<&Config::shm_name>, false},
    {"job_capacity", hold<&Config::job_capacity>, true},
    {"ring_bytes", hold<&Config::ring_bytes>, true},
    {"server_ring_bytes", hold<&Config::server_ring_bytes>, true},
    {"autoload_plugins", hold<&Config::autoload_plugins>, true},
    {"listener_user", hold<&Config::listener_user>, true},
    {"unix_socket", hold<&Config::unix_socket, &Config::unix_socket_mode, &Config::unix_socket_owner>, true},
    // The host's lease, identity and etcd connection are the supervisor's
    // from its start; a change would move every cluster job.
    {"cluster", hold<&Config::cluster>, true},
};

}  // namespace

std::string hold_restart_only(const Config& running, Config& next) {
  std::string keys;
  for (const RestartOnly& key : kRestartOnly)
    if (key.hold(running, next) && key.named) keys += (keys.empty() ? "" : ", ") + std::string(key.name);
  return keys;
}

}  // namespace backend::conf
