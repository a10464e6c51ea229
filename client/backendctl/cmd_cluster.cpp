// The cluster plugin: cluster ls|apply|drain|move, over CLUSTER.* (the
// fleet's view is the etcd of the server asked, so any host answers alike).
#include <fstream>
#include <sstream>

#include "commands.h"
#include "format.h"
#include "outcome.h"

namespace backendctl {
namespace {

using backend::client::Params;
using rapidjson::Value;

std::string text(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
}

std::string labels_text(const Value& host) {
  auto it = host.FindMember("labels");
  if (it == host.MemberEnd() || !it->value.IsObject() || it->value.MemberCount() == 0) return "-";
  std::string out;
  for (auto& l : it->value.GetObject()) {
    if (!out.empty()) out += ",";
    out += std::string(l.name.GetString()) + "=" + (l.value.IsString() ? l.value.GetString() : "?");
  }
  return out;
}

// Two tables: the live hosts, then every cluster job with where it runs.
std::string format_cluster(const Value& data, bool color) {
  if (!data.IsObject() || !data.HasMember("hosts") || !data["hosts"].IsArray() || !data.HasMember("jobs") ||
      !data["jobs"].IsArray())
    throw BadReply("the cluster view is not an object with hosts and jobs");
  std::vector<Row> hosts = {{"HOST", "ADDRESS", "LABELS", "STATE"}};
  for (const Value& h : data["hosts"].GetArray()) {
    bool draining = h.HasMember("draining") && h["draining"].IsBool() && h["draining"].GetBool();
    hosts.push_back({text(h, "host"), text(h, "address"), labels_text(h),
                     draining ? Cell("draining", kRed) : Cell("live", kGreen)});
  }
  std::vector<Row> jobs = {{"JOB", "PLACEMENT", "OWNER", "EPOCH", "RUNNING ON"}};
  for (const Value& j : data["jobs"].GetArray()) {
    if (j.HasMember("error")) {
      jobs.push_back({text(j, "name"), Cell("unreadable", kRed), "-", "-", text(j, "error")});
      continue;
    }
    std::string placement = text(j, "placement");
    if (j.HasMember("every") && j["every"].IsUint())
      placement += ", every " + std::to_string(j["every"].GetUint()) + "s";
    std::string owner = text(j, "owner");
    int64_t epoch = j.HasMember("epoch") && j["epoch"].IsInt64() ? j["epoch"].GetInt64() : 0;
    std::string where;
    if (j.HasMember("hosts") && j["hosts"].IsArray())
      for (const Value& r : j["hosts"].GetArray()) {
        if (text(r, "state") != "running") continue;
        if (!where.empty()) where += ", ";
        where += text(r, "host");
        if (r.HasMember("pid") && r["pid"].IsInt64() && r["pid"].GetInt64() > 0)
          where += " (pid " + std::to_string(r["pid"].GetInt64()) + ")";
      }
    jobs.push_back({text(j, "name"), placement, owner.empty() ? "-" : owner, epoch ? std::to_string(epoch) : "-",
                    where.empty() ? Cell("-", kRed) : Cell(where, kGreen)});
  }
  return "cluster " + text(data, "cluster") + "\n\n" + format_table(hosts, color) + "\n" + format_table(jobs, color);
}

int ls(Context& ctx, const ParsedArgs&) {
  bool color = ctx.color();
  return ctx.finish(ctx.backend().call("CLUSTER.LS", Params()),
                    [color](const Value& d) { return format_cluster(d, color); });
}

int apply(Context& ctx, const ParsedArgs& a) {
  const std::string& path = a.positionals[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path);
  std::stringstream content;
  content << in.rdbuf();
  Params params;
  if (!Params::parse(content.str(), params))
    throw UsageError(path + " must be a JSON object: {\"jobs\": {\"NAME\": {\"command\": ...}, ...}}");
  return ctx.finish(ctx.backend().call("CLUSTER.APPLY", params), [](const Value& d) {
    std::string out;
    for (const char* what : {"added", "updated", "deleted", "unchanged"}) {
      auto it = d.FindMember(what);
      if (it == d.MemberEnd() || !it->value.IsArray() || it->value.Empty()) continue;
      out += std::string(what) + ":";
      for (const Value& name : it->value.GetArray())
        out += std::string(" ") + (name.IsString() ? name.GetString() : "?");
      out += "\n";
    }
    return out.empty() ? std::string("no cluster jobs, none before\n") : out;
  });
}

int drain(Context& ctx, const ParsedArgs& a) {
  Params params;
  params.set("host", a.positionals[0]);
  if (a.has("undo")) params.set("undo", true);
  return ctx.finish(ctx.backend().call("CLUSTER.DRAIN", params));
}

int move(Context& ctx, const ParsedArgs& a) {
  Params params;
  params.set("jobname", a.positionals[0]);
  params.set("host", a.positionals[1]);
  return ctx.finish(ctx.backend().call("CLUSTER.MOVE", params));
}

constexpr std::string_view kLsDetails =
    "Every live host (its address, labels, and whether it drains) and every\n"
    "cluster job: its placement, its owner and epoch (the owner key's create\n"
    "revision, which its runs get as BACKEND_EPOCH), and the hosts it runs on,\n"
    "from one read of etcd.\n";

constexpr std::string_view kApplyDetails =
    "FILE holds the cluster's jobs, whole: {\"jobs\": {\"NAME\": DEFINITION, ...}}.\n"
    "A definition is a job's settings as `add` takes them, flat (\"command\",\n"
    "\"params\", \"env\", \"stoptimeout\" ...), and how the fleet places it:\n"
    "  \"placement\"     \"any\" (default: one copy, on the live host that ranks\n"
    "                  first), \"host:ID\" (that host only), \"all\" (every host)\n"
    "  \"labels\"        {\"zone\": \"a\"}: only hosts with these labels\n"
    "  \"on_partition\"  \"stop\" (default) or \"keep\": a host cut off from etcd\n"
    "  \"schedule\"      {\"every\": SECONDS}: a run each tick, claimed once\n"
    "  \"delivery\"      \"at_most_once\" (default) or \"at_least_once\"\n"
    "Jobs the file adds, changes and leaves out are added, updated and deleted\n"
    "in one etcd transaction, which fails whole if another change came first.\n";

}  // namespace

std::vector<Command> cluster_commands() {
  return {
      {"cluster ls", "", "Lists the fleet's hosts and cluster jobs, with owners.", kLsDetails, {}, 0, 0, ls},
      {"cluster apply", "FILE", "Makes the cluster jobs those of a JSON file.", kApplyDetails, {}, 1, 1, apply},
      {"cluster drain",
       "HOST [--undo]",
       "Moves every job off a host and keeps new ones away (--undo ends it).",
       "",
       {{"undo", 0, false}},
       1,
       1,
       drain},
      {"cluster move", "NAME HOST", "Moves a cluster job to another live host.", "", {}, 2, 2, move},
  };
}

}  // namespace backendctl
