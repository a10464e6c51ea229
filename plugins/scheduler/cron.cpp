#include "plugins/scheduler/cron.h"

#include <array>
#include <cctype>
#include <vector>

namespace backend::plugins::scheduler {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[k] stands for min + k; nullptr: none
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec", nullptr};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};

constexpr FieldSpec kFields[] = {
    {"minute", 0, 59, nullptr},    {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr}, {"month", 1, 12, kMonthNames},
    {"day-of-week", 0, 7, kDayNames},
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<int> number(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<int> value(std::string_view s, const FieldSpec& f) {
  if (auto n = number(s)) return n;
  if (!f.names || s.size() != 3) return std::nullopt;
  for (int k = 0; f.names[k]; ++k) {
    bool same = true;
    for (int c = 0; c < 3; ++c) {
      same = same && std::tolower(static_cast<unsigned char>(s[c])) == f.names[k][c];
    }
    if (same) return f.min + k;
  }
  return std::nullopt;
}

// What of the client's text an error shows: enough to find it, never megabytes.
std::string shown(std::string_view s) {
  constexpr size_t kMax = 40;
  return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

std::string field_error(const FieldSpec& f, std::string_view part, std::string_view why) {
  return "cron " + std::string(f.name) + " field \"" + shown(part) + "\" " + std::string(why);
}

// One list element: "*", "a", "a-b", with an optional "/step". Sets the
// bits a..b (every step-th) in bits, indexed by value.
bool parse_part(std::string_view part, const FieldSpec& f, std::vector<bool>& bits, std::string& error) {
  std::string_view range = part;
  int step = 1;
  bool has_step = false;
  if (size_t slash = part.find('/'); slash != std::string_view::npos) {
    auto n = number(part.substr(slash + 1));
    if (!n || *n == 0) {
      error = field_error(f, part, "has a step that is not a positive number");
      return false;
    }
    step = *n;
    has_step = true;
    range = part.substr(0, slash);
  }
  int lo = f.min, hi = f.max;
  if (range != "*") {
    size_t dash = range.find('-');
    auto a = value(range.substr(0, dash), f);
    auto b = dash == std::string_view::npos ? a : value(range.substr(dash + 1), f);
    if (!a || !b) {
      error = field_error(f, part, "is not a number, a range or a name");
      return false;
    }
    if (*a < f.min || *a > f.max || *b < f.min || *b > f.max) {
      error = field_error(f, part, "is out of range " + std::to_string(f.min) + "-" + std::to_string(f.max));
      return false;
    }
    if (*a > *b) {
      error = field_error(f, part, "has a range that ends before it starts");
      return false;
    }
    lo = *a;
    // "a/n" runs from a to the field's end, as in Vixie cron.
    hi = dash == std::string_view::npos && has_step ? f.max : *b;
  }
  for (int v = lo; v <= hi; v += step) bits[v] = true;
  return true;
}

bool parse_field(std::string_view text, const FieldSpec& f, std::vector<bool>& bits, std::string& error) {
  bits.assign(f.max + 1, false);
  for (std::string_view part : split(text, ',')) {
    if (part.empty()) {
      error = "cron " + std::string(f.name) + " field \"" + shown(text) + "\" has an empty list element";
      return false;
    }
    if (!parse_part(part, f, bits, error)) return false;
  }
  return true;
}

template <size_t N>
void copy_bits(const std::vector<bool>& from, std::bitset<N>& to) {
  for (size_t i = 0; i < N && i < from.size(); ++i) to[i] = from[i];
}

}  // namespace

bool Cron::day_matches(const Date& d) const {
  if (!months[d.month]) return false;
  bool dom = days[d.day];
  bool dow = weekdays[iso_weekday(days_from_civil(d)) % 7];
  if (days_star || weekdays_star) return dom && dow;
  return dom || dow;
}

std::string Cron::canonical() const {
  std::string s = minutes.to_string() + ' ' + hours.to_string() + ' ' + days.to_string() + ' ' +
                  months.to_string() + ' ' + weekdays.to_string();
  s += days_star ? " *" : " -";
  s += weekdays_star ? " *" : " -";
  return s;
}

std::optional<Cron> parse_cron(std::string_view text, std::string& error) {
  auto fields = words(text);
  if (fields.size() != 5) {
    error = "cron expression \"" + shown(text) +
            "\" must have five fields (minute hour day-of-month month day-of-week), not " +
            std::to_string(fields.size());
    return std::nullopt;
  }
  std::array<std::vector<bool>, 5> bits;
  for (size_t k = 0; k < 5; ++k) {
    if (!parse_field(fields[k], kFields[k], bits[k], error)) return std::nullopt;
  }
  Cron c;
  copy_bits(bits[0], c.minutes);
  copy_bits(bits[1], c.hours);
  copy_bits(bits[2], c.days);
  copy_bits(bits[3], c.months);
  copy_bits(bits[4], c.weekdays);
  if (bits[4][7]) c.weekdays[0] = true;
  c.days_star = fields[2].front() == '*';
  c.weekdays_star = fields[4].front() == '*';
  return c;
}

}  // namespace backend::plugins::scheduler
