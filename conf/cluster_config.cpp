#include "conf/cluster_config.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <climits>
#include <functional>

namespace backend::conf {
namespace {

using Setter = std::function<std::optional<std::string>(const rapidjson::Value&, ClusterConfig&)>;

std::string text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// http:// or https://, a host and a port: what libcurl is handed as is.
bool valid_endpoint(const std::string& url) {
  std::string rest;
  if (url.rfind("http://", 0) == 0)
    rest = url.substr(7);
  else if (url.rfind("https://", 0) == 0)
    rest = url.substr(8);
  else
    return false;
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return false;
  std::string port = rest.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  long n = std::stol(port);
  if (n < 1 || n > 65535) return false;
  return rest.substr(0, colon).find_first_of("/?#@ ") == std::string::npos;
}

std::optional<std::string> set_etcd(const rapidjson::Value& v, ClusterConfig& c) {
  const std::string what = "must be a non-empty array of URLs \"http://HOST:PORT\"";
  if (!v.IsArray() || v.Empty()) return what;
  std::vector<std::string> urls;
  for (auto& u : v.GetArray()) {
    if (!u.IsString() || !valid_endpoint(text_of(u))) return what;
    std::string url = text_of(u);
    if (url.back() == '/') url.pop_back();
    urls.push_back(url);
  }
  c.etcd = std::move(urls);
  return std::nullopt;
}

Setter id_key(std::string ClusterConfig::*field) {
  return [field](const rapidjson::Value& v, ClusterConfig& c) -> std::optional<std::string> {
    if (!v.IsString() || !valid_cluster_id(text_of(v)))
      return std::string("must be 1 to 253 letters, digits, '.', '_' or '-'");
    c.*field = text_of(v);
    return std::nullopt;
  };
}

std::optional<std::string> set_address(const rapidjson::Value& v, ClusterConfig& c) {
  if (!v.IsString() || v.GetStringLength() > 253) return std::string("must be a string \"HOST:PORT\", or \"\"");
  c.address = text_of(v);
  return std::nullopt;
}

std::optional<std::string> set_labels(const rapidjson::Value& v, ClusterConfig& c) {
  const std::string what = "must be an object of \"name\": \"value\" strings (names as host ids are spelled)";
  if (!v.IsObject()) return what;
  std::map<std::string, std::string> labels;
  for (auto& m : v.GetObject()) {
    if (!valid_cluster_id(text_of(m.name)) || !m.value.IsString() || m.value.GetStringLength() > 253) return what;
    labels[text_of(m.name)] = text_of(m.value);
  }
  c.labels = std::move(labels);
  return std::nullopt;
}

Setter seconds_key(uint32_t ClusterConfig::*field, uint32_t lo, uint32_t hi) {
  return [=](const rapidjson::Value& v, ClusterConfig& c) -> std::optional<std::string> {
    if (!v.IsUint64() || v.GetUint64() < lo || v.GetUint64() > hi)
      return "must be a number of seconds from " + std::to_string(lo) + " to " + std::to_string(hi);
    c.*field = static_cast<uint32_t>(v.GetUint64());
    return std::nullopt;
  };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"etcd", set_etcd},
      {"name", id_key(&ClusterConfig::name)},
      {"host", id_key(&ClusterConfig::host)},
      {"address", set_address},
      {"labels", set_labels},
      // etcd's own minimum TTL is 5 s with its default election timeout.
      {"lease_ttl", seconds_key(&ClusterConfig::lease_ttl, 2, 600)},
      {"request_timeout", seconds_key(&ClusterConfig::request_timeout, 1, 60)},
  };
  return table;
}

}  // namespace

bool valid_cluster_id(const std::string& id) {
  if (id.empty() || id.size() > 253) return false;
  for (char ch : id) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> parse_cluster_config(const rapidjson::Value& block, ClusterConfig& out) {
  if (block.IsNull()) {
    out = ClusterConfig{};
    return std::nullopt;
  }
  if (!block.IsObject()) return std::string("must be an object (see \"cluster\" in the default config)");
  ClusterConfig c;
  c.enabled = true;
  for (auto& m : block.GetObject()) {
    std::string key = text_of(m.name);
    auto it = setters().find(key);
    if (it == setters().end()) return "has an unknown key \"" + key + "\"";
    if (auto err = it->second(m.value, c)) return "key \"" + key + "\" " + *err;
  }
  if (c.etcd.empty()) return std::string("needs \"etcd\", the etcd endpoints");
  if (c.name.empty()) return std::string("needs \"name\", the cluster's name");
  out = std::move(c);
  return std::nullopt;
}

std::optional<std::string> finish_cluster_config(ClusterConfig& c) {
  if (!c.enabled || !c.host.empty()) return std::nullopt;
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0) return std::string("cluster: no \"host\" given and no hostname");
  std::string host = name;
  if (auto dot = host.find('.'); dot != std::string::npos) host.resize(dot);
  if (!valid_cluster_id(host))
    return "cluster: no \"host\" given, and the hostname \"" + host + "\" is not a valid host id";
  c.host = host;
  return std::nullopt;
}

std::string cluster_config_to_json(const ClusterConfig& c) {
  if (!c.enabled) return "null";
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&](const std::string& v) { w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size())); };
  w.StartObject();
  w.Key("etcd");
  w.StartArray();
  for (const auto& url : c.etcd) str(url);
  w.EndArray();
  w.Key("name");
  str(c.name);
  if (!c.host.empty()) {
    w.Key("host");
    str(c.host);
  }
  w.Key("address");
  str(c.address);
  w.Key("labels");
  w.StartObject();
  for (const auto& [k, v] : c.labels) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    str(v);
  }
  w.EndObject();
  w.Key("lease_ttl");
  w.Uint(c.lease_ttl);
  w.Key("request_timeout");
  w.Uint(c.request_timeout);
  w.EndObject();
  return sb.GetString();
}

}  // namespace backend::conf
