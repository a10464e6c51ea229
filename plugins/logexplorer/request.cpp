#include "plugins/logexplorer/request.h"

#include "plugins/logexplorer/log_paths.h"
#include "protocol/coerce.h"
#include "protocol/job_name.h"

namespace backend::plugins::logexplorer {

namespace {

// null counts as absent, as PHP's isset() had it in the original.
const rapidjson::Value* member(const rapidjson::Value& params, const char* key) {
  if (!params.IsObject()) return nullptr;
  auto it = params.FindMember(key);
  if (it == params.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

bool name_param(const rapidjson::Value& params, const char* key, std::string& out, std::string& error) {
  const rapidjson::Value* v = member(params, key);
  if (!v) {
    error = std::string(key) + " is required";
    return false;
  }
  if (!v->IsString()) {
    error = std::string(key) + " must be a string";
    return false;
  }
  std::string_view name(v->GetString(), v->GetStringLength());
  std::string problem = component_problem(name);
  if (!problem.empty()) {
    error = std::string(key) + " " + shown_name(name) + " is not valid: " + problem;
    return false;
  }
  out = name;
  return true;
}

// Absent leaves out alone.
template <typename T>
bool bytes_param(const rapidjson::Value& params, const char* key, T& out, std::string& error) {
  const rapidjson::Value* v = member(params, key);
  if (!v) return true;
  auto n = protocol::coerce_int(*v);
  if (!n || *n < 0) {
    error = std::string(key) + " must be a whole number of bytes, 0 or more";
    return false;
  }
  out = static_cast<uint64_t>(*n);
  return true;
}

bool folder(Target target, const rapidjson::Value& params, Request& req, std::string& error) {
  if (!target.job) {
    req.folder = server_log_folder();
    return true;
  }
  // The listener checks jobname before the plugin sees it; checked again
  // because the name becomes a path here.
  auto job = protocol::job_name_param(params, error);
  if (!job) return false;
  req.folder = *job_log_folder(*job);
  return true;
}

}  // namespace

std::optional<Request> parse_request(Target target, const rapidjson::Value& params, std::string& error) {
  Request req;
  req.verb = target.verb;
  bool ok = folder(target, params, req, error);
  if (ok && target.verb != Verb::kListDir) ok = name_param(params, "dirname", req.dirname, error);
  if (ok && target.verb == Verb::kGet) {
    ok = name_param(params, "filename", req.filename, error) &&
         bytes_param(params, "offset", req.range.offset, error) &&
         bytes_param(params, "length", req.range.length, error);
  }
  if (!ok) return std::nullopt;
  return req;
}

}  // namespace backend::plugins::logexplorer
