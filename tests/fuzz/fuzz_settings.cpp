// ADD's params as a client may send them: validation never crashes; what it
// accepts fits the stored size, and applying the stored settings again as
// UPDATE's params is accepted and changes nothing.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/job_settings.h"
#include "protocol/request.h"

using namespace backend::protocol;

namespace {
std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Request req;
  if (parse_request("ADD " + std::string(reinterpret_cast<const char*>(data), size), req)) return 0;
  take_auth(req.params);
  rapidjson::Document added;
  if (settings_for_add(req.params, added)) return 0;
  std::string stored = compact(added);
  if (stored.size() > kMaxSettingsBytes) abort();
  rapidjson::Document again;
  if (settings_for_update(added, added, again)) abort();
  if (compact(again) != stored) abort();
  return 0;
}
