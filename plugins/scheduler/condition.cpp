#include "plugins/scheduler/condition.h"

#include <string_view>

#include "protocol/coerce.h"

namespace backend::plugins::scheduler {
namespace {

struct FieldRule {
  char name;
  std::optional<int> Condition::*member;
  bool two_digits;  // m, d, H, i: a string of exactly two digits
  int min;
  int max;
  int64_t unit;     // the field's period in seconds, for U's upper bound
};

// In the order canonical() writes them.
constexpr FieldRule kRules[] = {
    {'Y', &Condition::Y, false, 2013, 2099, 365 * 86400},
    {'m', &Condition::m, true, 1, 12, 30 * 86400},
    {'d', &Condition::d, true, 1, 31, 86400},
    {'W', &Condition::W, false, 1, 53, 7 * 86400},
    {'N', &Condition::N, false, 1, 7, 86400},
    {'z', &Condition::z, false, 1, 366, 86400},
    {'H', &Condition::H, true, 0, 23, 3600},
    {'i', &Condition::i, true, 0, 59, 60},
};

// Fields of different groups: {m d} with {W N} with {z}. Y, H, i and U go
// with any group.
int date_group(char name) {
  switch (name) {
    case 'm': case 'd': return 1;
    case 'W': case 'N': return 2;
    case 'z': return 3;
    default: return 0;
  }
}

std::string two(int v) { return {static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)}; }

// A field name as an error shows it: never megabytes of a client's key.
std::string shown(std::string_view name) {
  constexpr size_t kMax = 40;
  return name.size() <= kMax ? std::string(name) : std::string(name.substr(0, kMax)) + "...";
}

std::string field(char name) { return std::string("condition field \"") + name + "\""; }

std::optional<int> two_digit_value(const rapidjson::Value& v) {
  if (!v.IsString() || v.GetStringLength() != 2) return std::nullopt;
  const char* s = v.GetString();
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return std::nullopt;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

bool is_last_day(const rapidjson::Value& v) {
  return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == "@t";
}

std::optional<int> read_field(const FieldRule& r, const rapidjson::Value& v, std::string& error) {
  if (r.name == 'd' && is_last_day(v)) return kLastDay;
  if (r.two_digits) {
    auto n = two_digit_value(v);
    if (n && *n >= r.min && *n <= r.max) return n;
    error = field(r.name) + " must be a string of two digits from \"" + two(r.min) + "\" to \"" +
            two(r.max) + "\"" + (r.name == 'd' ? ", or \"@t\" for the month's last day" : "");
    return std::nullopt;
  }
  auto n = protocol::coerce_int(v);
  if (n && *n >= r.min && *n <= r.max) return static_cast<int>(*n);
  error = field(r.name) + " must be an integer from " + std::to_string(r.min) + " to " + std::to_string(r.max);
  return std::nullopt;
}

std::optional<int64_t> read_interval(const rapidjson::Value& v, std::string& error) {
  auto n = protocol::coerce_int(v);
  if (n && *n > 0 && *n % 60 == 0) return n;
  error = field('U') + " must be a positive multiple of 60 (seconds)";
  return std::nullopt;
}

const FieldRule* rule_of(std::string_view name) {
  if (name.size() != 1) return nullptr;
  for (const auto& r : kRules) {
    if (r.name == name[0]) return &r;
  }
  return nullptr;
}

std::optional<Condition> parse_cron_condition(const rapidjson::Value& v, std::string& error) {
  if (v.MemberCount() != 1) {
    error = "condition field \"cron\" must be the condition's only field";
    return std::nullopt;
  }
  const auto& text = v.MemberBegin()->value;
  if (!text.IsString()) {
    error = "condition field \"cron\" must be a string such as \"*/5 * * * *\"";
    return std::nullopt;
  }
  auto cron = parse_cron({text.GetString(), text.GetStringLength()}, error);
  if (!cron) return std::nullopt;
  Condition c;
  c.cron = std::move(cron);
  return c;
}

// Every pair of named fields must share a group.
bool check_groups(const Condition& c, std::string& error) {
  char seen = 0;
  for (const auto& r : kRules) {
    if (!(c.*r.member) || date_group(r.name) == 0) continue;
    if (seen && date_group(seen) != date_group(r.name)) {
      error = std::string("condition fields \"") + seen + "\" and \"" + r.name +
              "\" cannot be combined: use fields of one group, {Y m d H i U}, {Y W N H i U} or {Y z H i U}";
      return false;
    }
    if (!seen) seen = r.name;
  }
  return true;
}

// U may not exceed the period of the smallest other field named.
bool check_interval(const Condition& c, std::string& error) {
  if (!c.U) return true;
  int64_t limit = kMaxInterval;
  char smallest = 0;
  for (const auto& r : kRules) {
    if ((c.*r.member) && r.unit <= limit) {
      limit = r.unit;
      smallest = r.name;
    }
  }
  if (*c.U <= limit) return true;
  error = field('U') + " may not exceed " + std::to_string(limit) + " seconds" +
          (smallest ? std::string(" when \"") + smallest + "\" is given" : std::string(" (365 days)"));
  return false;
}

}  // namespace

std::optional<Condition> parse_condition(const rapidjson::Value& v, std::string& error) {
  if (!v.IsObject()) {
    error = "condition must be an object of time fields such as {\"H\": \"03\", \"i\": \"15\"}";
    return std::nullopt;
  }
  if (v.MemberCount() == 0) {
    error = "condition names no field: give at least one of Y, m, d, W, N, z, H, i, U";
    return std::nullopt;
  }
  if (v.HasMember("cron")) return parse_cron_condition(v, error);
  Condition c;
  for (const auto& m : v.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const FieldRule* rule = rule_of(name);
    bool repeated = rule ? (c.*rule->member).has_value() : name == "U" && c.U.has_value();
    if (repeated) {
      error = "condition field \"" + shown(name) + "\" is given twice";
      return std::nullopt;
    }
    if (name == "U") {
      if (!(c.U = read_interval(m.value, error))) return std::nullopt;
    } else if (rule) {
      if (!((c.*rule->member) = read_field(*rule, m.value, error))) return std::nullopt;
    } else {
      error = "condition field \"" + shown(name) + "\" is not known: use Y, m, d, W, N, z, H, i, U or cron";
      return std::nullopt;
    }
  }
  if (!check_groups(c, error) || !check_interval(c, error)) return std::nullopt;
  return c;
}

std::string Condition::canonical() const {
  if (cron) return "cron " + cron->canonical();
  std::string s;
  for (const auto& r : kRules) {
    if (const auto& v = this->*r.member) s += std::string(1, r.name) + '=' + std::to_string(*v) + ' ';
  }
  if (U) s += "U=" + std::to_string(*U);
  return s;
}

}  // namespace backend::plugins::scheduler
