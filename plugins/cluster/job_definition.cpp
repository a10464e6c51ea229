#include "plugins/cluster/job_definition.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/job_settings.h"
#include "protocol/response.h"

namespace backend::plugins::cluster {
namespace {

using rapidjson::Value;

std::string text_of(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

}  // namespace

std::optional<std::string> parse_definition(std::string_view name, const Value& definition, JobDefinition& out) {
  if (!definition.IsObject()) return std::string("a cluster job must be a JSON object");
  JobDefinition d;
  d.name = std::string(name);
  rapidjson::Document params;
  params.SetObject();
  auto& a = params.GetAllocator();
  bool has_stop_timeout = false;
  for (auto& m : definition.GetObject()) {
    std::string key = text_of(m.name);
    const Value& v = m.value;
    if (key == "placement") {
      if (!v.IsString()) return std::string("\"placement\" must be \"any\", \"all\" or \"host:ID\"");
      if (auto err = parse_placement(text_of(v), d.placement)) return "\"placement\": " + *err;
    } else if (key == "labels") {
      if (!v.IsObject()) return std::string("\"labels\" must be an object of \"name\": \"value\" strings");
      for (auto& l : v.GetObject()) {
        if (!l.value.IsString()) return std::string("\"labels\" must be an object of \"name\": \"value\" strings");
        d.selector[text_of(l.name)] = text_of(l.value);
      }
    } else if (key == "on_partition") {
      if (v.IsString() && text_of(v) == "stop")
        d.on_partition = JobDefinition::OnPartition::kStop;
      else if (v.IsString() && text_of(v) == "keep")
        d.on_partition = JobDefinition::OnPartition::kKeep;
      else
        return std::string("\"on_partition\" must be \"stop\" or \"keep\"");
    } else if (key == "schedule") {
      auto every = v.IsObject() ? v.FindMember("every") : Value().MemberEnd();
      if (!v.IsObject() || v.MemberCount() != 1 || every == v.MemberEnd() || !every->value.IsUint() ||
          every->value.GetUint() < 1 || every->value.GetUint() > 86400)
        return std::string("\"schedule\" must be {\"every\": SECONDS}, 1 to 86400");
      d.every = every->value.GetUint();
    } else if (key == "delivery") {
      if (v.IsString() && text_of(v) == "at_most_once")
        d.delivery = JobDefinition::Delivery::kAtMostOnce;
      else if (v.IsString() && text_of(v) == "at_least_once")
        d.delivery = JobDefinition::Delivery::kAtLeastOnce;
      else
        return std::string("\"delivery\" must be \"at_most_once\" or \"at_least_once\"");
    } else if (key == "jobname" || key == "cluster" || key == "autostart" || key == "guard") {
      return "\"" + key + "\" is not a setting of a cluster job (" +
             (key == "jobname"   ? std::string("its name is its key")
              : key == "cluster" ? std::string("the agent marks its jobs")
                                 : std::string("the agent decides when it runs")) +
             ")";
    } else {
      if (key == "stoptimeout") has_stop_timeout = true;
      Value k(m.name, a), copy(v, a);
      params.AddMember(k, copy, a);
    }
  }
  if (d.placement.kind == Placement::Kind::kAll && d.every)
    return std::string("a schedule runs once a tick in the fleet: \"placement\" \"all\" cannot have one");
  if (!has_stop_timeout) params.AddMember("stoptimeout", kDefaultStopTimeout, a);
  params.AddMember("jobname", Value(d.name.c_str(), static_cast<rapidjson::SizeType>(d.name.size()), a), a);
  rapidjson::Document checked;
  if (auto err = protocol::settings_for_add(params, checked)) return err;
  checked.RemoveMember("jobname");
  auto timeout = checked.FindMember("stoptimeout");
  if (timeout != checked.MemberEnd() && timeout->value.IsUint()) d.stop_timeout = timeout->value.GetUint();
  d.settings = protocol::to_json(checked);
  out = std::move(d);
  return std::nullopt;
}

std::optional<std::string> parse_definition(std::string_view name, std::string_view json, JobDefinition& out) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return std::string("a cluster job must be a JSON object");
  return parse_definition(name, doc, out);
}

std::string definition_to_json(const JobDefinition& d) {
  rapidjson::Document doc;
  doc.Parse(d.settings.c_str(), d.settings.size());
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  doc.AddMember("placement", str(placement_text(d.placement)), a);
  if (!d.selector.empty()) {
    Value labels(rapidjson::kObjectType);
    for (const auto& [k, v] : d.selector) labels.AddMember(str(k), str(v), a);
    doc.AddMember("labels", labels, a);
  }
  doc.AddMember("on_partition", str(d.on_partition == JobDefinition::OnPartition::kStop ? "stop" : "keep"), a);
  if (d.every) {
    Value schedule(rapidjson::kObjectType);
    schedule.AddMember("every", d.every, a);
    doc.AddMember("schedule", schedule, a);
    doc.AddMember("delivery",
                  str(d.delivery == JobDefinition::Delivery::kAtMostOnce ? "at_most_once" : "at_least_once"), a);
  }
  return protocol::to_json(doc);
}

std::string local_settings(const JobDefinition& d, std::string_view cluster, std::string_view host, int64_t epoch,
                           std::string_view run_id) {
  rapidjson::Document doc;
  doc.Parse(d.settings.c_str(), d.settings.size());
  auto& a = doc.GetAllocator();
  auto str = [&](std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a); };
  doc.RemoveMember("autostart");
  doc.RemoveMember("guard");
  doc.AddMember("autostart", false, a);
  doc.AddMember("guard", false, a);
  doc.AddMember("cluster", str(cluster), a);
  auto env = doc.FindMember("env");
  if (env == doc.MemberEnd() || !env->value.IsObject()) {
    doc.RemoveMember("env");
    doc.AddMember("env", Value(rapidjson::kObjectType), a);
    env = doc.FindMember("env");
  }
  env->value.RemoveMember("BACKEND_EPOCH");
  env->value.RemoveMember("BACKEND_RUN_ID");
  env->value.RemoveMember("BACKEND_HOST");
  env->value.AddMember("BACKEND_EPOCH", str(std::to_string(epoch)), a);
  env->value.AddMember("BACKEND_HOST", str(host), a);
  if (!run_id.empty()) env->value.AddMember("BACKEND_RUN_ID", str(run_id), a);
  return protocol::to_json(doc);
}

std::string cluster_of(std::string_view settings_json) {
  rapidjson::Document doc;
  doc.Parse(settings_json.data(), settings_json.size());
  return doc.HasParseError() ? std::string() : protocol::cluster_of_settings(doc);
}

}  // namespace backend::plugins::cluster
