#include "plugins/cluster/snapshot.h"

#include <rapidjson/document.h>

#include "protocol/response.h"

namespace backend::plugins::cluster {
namespace {

using rapidjson::Value;

std::string string_of(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

int64_t int_of(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

bool object_of(std::string_view json, rapidjson::Document& doc) {
  doc.Parse(json.data(), json.size());
  return !doc.HasParseError() && doc.IsObject();
}

bool parse_tick(const std::string& text, int64_t& tick) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  tick = std::stoll(text);
  return true;
}

}  // namespace

Snapshot read_snapshot(const Keys& keys, const etcd::RangeResponse& range) {
  Snapshot s;
  s.revision = range.header.revision;
  for (const etcd::KeyValue& kv : range.kvs) {
    auto key = keys.parse(kv.key);
    if (!key) {
      ++s.unknown_keys;
      continue;
    }
    rapidjson::Document doc;
    switch (key->kind) {
      case Keys::Parsed::Kind::kHost: {
        HostRecord host;
        host.lease = kv.lease;
        host.create_revision = kv.create_revision;
        if (object_of(kv.value, doc)) {
          host.address = string_of(doc, "address");
          auto labels = doc.FindMember("labels");
          if (labels != doc.MemberEnd() && labels->value.IsObject())
            for (auto& l : labels->value.GetObject())
              if (l.value.IsString()) host.labels[l.name.GetString()] = l.value.GetString();
        }
        s.hosts[key->first] = std::move(host);
        break;
      }
      case Keys::Parsed::Kind::kJob: {
        JobDefinition definition;
        if (auto err = parse_definition(key->first, kv.value, definition)) {
          s.bad_jobs[key->first] = *err;
        } else {
          s.jobs[key->first] = std::move(definition);
          s.job_revisions[key->first] = kv.mod_revision;
        }
        break;
      }
      case Keys::Parsed::Kind::kOwner:
        s.owners[key->first] = {kv.value, kv.create_revision, kv.lease};
        break;
      case Keys::Parsed::Kind::kStatus: {
        StatusRecord status;
        if (object_of(kv.value, doc)) {
          status.state = string_of(doc, "state");
          status.pid = int_of(doc, "pid");
          status.epoch = int_of(doc, "epoch");
        }
        s.status[key->first][key->second] = status;
        break;
      }
      case Keys::Parsed::Kind::kRun: {
        int64_t tick = 0;
        if (!parse_tick(key->second, tick)) {
          ++s.unknown_keys;
          break;
        }
        RunRecord run;
        run.revision = kv.mod_revision;
        if (object_of(kv.value, doc)) {
          run.host = string_of(doc, "host");
          run.state = string_of(doc, "state");
          run.lease = int_of(doc, "lease");
        }
        s.runs[key->first][tick] = run;
        break;
      }
      case Keys::Parsed::Kind::kDrain:
        break;  // read after the hosts, below
      case Keys::Parsed::Kind::kMove:
        s.moves[key->first] = kv.value;
        break;
    }
  }
  for (const etcd::KeyValue& kv : range.kvs) {
    auto key = keys.parse(kv.key);
    if (key && key->kind == Keys::Parsed::Kind::kDrain) {
      auto host = s.hosts.find(key->first);
      if (host != s.hosts.end()) host->second.draining = true;
    }
  }
  return s;
}

std::optional<int64_t> orphaned_tick(const Snapshot& snapshot, const std::string& job, int64_t from) {
  auto runs = snapshot.runs.find(job);
  if (runs == snapshot.runs.end()) return std::nullopt;
  for (auto run = runs->second.lower_bound(from); run != runs->second.end(); ++run) {
    if (run->second.state != "claimed") continue;
    auto claimer = snapshot.hosts.find(run->second.host);
    if (claimer == snapshot.hosts.end() || claimer->second.lease != run->second.lease) return run->first;
  }
  return std::nullopt;
}

std::string host_value(const std::string& address, const Labels& labels) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("address", Value(address.c_str(), a), a);
  Value l(rapidjson::kObjectType);
  for (const auto& [k, v] : labels) l.AddMember(Value(k.c_str(), a), Value(v.c_str(), a), a);
  doc.AddMember("labels", l, a);
  return protocol::to_json(doc);
}

std::string status_value(const StatusRecord& status) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("state", Value(status.state.c_str(), a), a);
  doc.AddMember("pid", status.pid, a);
  doc.AddMember("epoch", status.epoch, a);
  return protocol::to_json(doc);
}

std::string run_value(const RunRecord& run) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("host", Value(run.host.c_str(), a), a);
  doc.AddMember("state", Value(run.state.c_str(), a), a);
  if (run.lease) doc.AddMember("lease", run.lease, a);
  return protocol::to_json(doc);
}

}  // namespace backend::plugins::cluster
