#include "backend/client.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace backend::client {
namespace {

std::unique_ptr<rapidjson::Document> empty_object() {
  auto d = std::make_unique<rapidjson::Document>();
  d->SetObject();
  return d;
}

// A name for lookups, referring to the caller's bytes.
rapidjson::Value name_ref(std::string_view key) {
  return rapidjson::Value(rapidjson::StringRef(key.data(), key.size()));
}

// A copy that owns every string. RapidJSON's own copy keeps referring to
// strings made with StringRef, which may be the caller's short-lived bytes.
rapidjson::Value deep_copy(const rapidjson::Value& v, rapidjson::Document::AllocatorType& a) {
  if (v.IsString()) return rapidjson::Value(v.GetString(), v.GetStringLength(), a);
  if (v.IsArray()) {
    rapidjson::Value out(rapidjson::kArrayType);
    for (const auto& e : v.GetArray()) out.PushBack(deep_copy(e, a), a);
    return out;
  }
  if (v.IsObject()) {
    rapidjson::Value out(rapidjson::kObjectType);
    for (const auto& m : v.GetObject()) out.AddMember(deep_copy(m.name, a), deep_copy(m.value, a), a);
    return out;
  }
  return rapidjson::Value(v, a);  // a number, a boolean or null
}

}  // namespace

Params::Params() : doc_(empty_object()) {}

Params::Params(const Params& other) : doc_(empty_object()) { doc_->CopyFrom(*other.doc_, doc_->GetAllocator()); }

Params& Params::operator=(const Params& other) {
  if (this != &other) {
    doc_ = empty_object();
    doc_->CopyFrom(*other.doc_, doc_->GetAllocator());
  }
  return *this;
}

bool Params::parse(std::string_view json, Params& out) {
  auto d = std::make_unique<rapidjson::Document>();
  d->Parse(json.data(), json.size());
  if (d->HasParseError() || !d->IsObject()) return false;
  out.doc_ = std::move(d);
  return true;
}

Params& Params::set(std::string_view key, const rapidjson::Value& value) {
  auto& a = doc_->GetAllocator();
  rapidjson::Value v = deep_copy(value, a);
  auto it = doc_->FindMember(name_ref(key));
  if (it != doc_->MemberEnd()) {
    it->value = std::move(v);
  } else {
    doc_->AddMember(rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), a), v, a);
  }
  return *this;
}

Params& Params::set(std::string_view key, bool value) { return set(key, rapidjson::Value(value)); }

Params& Params::set(std::string_view key, int64_t value) { return set(key, rapidjson::Value(value)); }

Params& Params::set(std::string_view key, std::string_view value) {
  // Copied by set(key, Value): a reference to the caller's bytes is enough here.
  return set(key, rapidjson::Value(rapidjson::StringRef(value.data(), value.size())));
}

Params& Params::set(std::string_view key, const Params& object) { return set(key, *object.doc_); }

Params& Params::erase(std::string_view key) {
  doc_->RemoveMember(name_ref(key));
  return *this;
}

bool Params::has(std::string_view key) const {
  return doc_->FindMember(name_ref(key)) != doc_->MemberEnd();
}

std::string Params::json() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc_->Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace backend::client
