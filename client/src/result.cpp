#include "backend/client.h"

#include <cstring>

namespace backend::client {
namespace {

const rapidjson::Value& null_value() {
  static const rapidjson::Value null;
  return null;
}

struct Named {
  const char* name;
  Code code;
};
constexpr Named kCodes[] = {
    {"OK", Code::kOk}, {"FAILED", Code::kFailed}, {"DENIED", Code::kDenied}, {"UNKNOWN", Code::kUnknown}};

}  // namespace

const char* code_name(Code code) {
  for (const auto& n : kCodes)
    if (n.code == code) return n.name;
  return "TRANSPORT";
}

Result::Result() : code_(Code::kTransport), error_("no call was made") {}

Result Result::transport_error(std::string message) {
  Result r;
  r.error_ = std::move(message);
  return r;
}

Result Result::from_reply(std::string payload) {
  auto doc = std::make_shared<rapidjson::Document>();
  doc->Parse(payload.data(), payload.size());
  if (doc->HasParseError() || !doc->IsObject())
    return transport_error("the server's reply is not a JSON object");
  auto code = doc->FindMember("code");
  if (code == doc->MemberEnd() || !code->value.IsString())
    return transport_error("the server's reply has no \"code\"");
  Result r;
  r.error_.clear();
  bool known = false;
  for (const auto& n : kCodes)
    if (std::strcmp(n.name, code->value.GetString()) == 0) r.code_ = n.code, known = true;
  if (!known) return transport_error("the server replied with an unknown code \"" + std::string(code->value.GetString()) + "\"");
  auto error = doc->FindMember("error");
  if (error != doc->MemberEnd() && error->value.IsString()) r.error_ = error->value.GetString();
  r.has_data_ = doc->HasMember("data");
  r.raw_ = std::move(payload);
  r.doc_ = std::move(doc);
  return r;
}

const rapidjson::Value& Result::data() const {
  if (!has_data_) return null_value();
  return (*doc_)["data"];
}

}  // namespace backend::client
