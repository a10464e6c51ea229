#include "format.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace backendctl {

std::string human_duration(int64_t seconds) {
  struct Unit {
    int64_t size;
    char name;
  };
  static constexpr Unit kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  seconds = std::max<int64_t>(seconds, 0);
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    if (seconds < kUnits[i].size && kUnits[i].size > 1) continue;
    std::string out = std::to_string(seconds / kUnits[i].size) + kUnits[i].name;
    if (i + 1 < std::size(kUnits)) {
      int64_t rest = seconds % kUnits[i].size / kUnits[i + 1].size;
      if (rest) out += " " + std::to_string(rest) + kUnits[i + 1].name;
    }
    return out;
  }
  return "0s";
}

std::string human_kib(int64_t kib) {
  static constexpr const char* kUnits[] = {"MiB", "GiB", "TiB", "PiB"};
  if (kib < 1024) return std::to_string(std::max<int64_t>(kib, 0)) + " KiB";
  double v = static_cast<double>(kib) / 1024;
  size_t u = 0;
  // Rounded first, so that 1023.96 MiB reads "1.0 GiB", not "1024.0 MiB".
  while (v >= 1023.95 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

std::string local_time(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string paint(std::string_view text, std::string_view sgr, bool on) {
  if (!on || sgr.empty()) return std::string(text);
  return "\033[" + std::string(sgr) + "m" + std::string(text) + "\033[0m";
}

std::string format_table(const std::vector<Row>& rows, bool color) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].text.size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) line.append(2, ' ');
      line += paint(row[c].text, row[c].sgr, color);
      if (c + 1 < row.size()) line.append(widths[c] - row[c].text.size(), ' ');
    }
    // A last cell that is empty would leave the padding of the one before.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string pretty_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string pretty_json_line(const rapidjson::Value& v) { return pretty_json(v) + "\n"; }

std::string compact_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace backendctl
