// Human-readable output: durations, sizes, times, aligned tables, JSON.
// Pure functions, so that the output is tested without a server.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace backendctl {

// ANSI colours (SGR parameters) for Cell and paint().
inline constexpr std::string_view kGreen = "32";
inline constexpr std::string_view kRed = "31";
inline constexpr std::string_view kBold = "1";

// The two largest units, the smaller omitted when zero: "3d 4h", "2h",
// "5m 2s", "45s", "0s". Negative counts as 0.
std::string human_duration(int64_t seconds);
// From kibibytes: "512 KiB", "1.5 MiB", "2.0 GiB" (one decimal from MiB up).
std::string human_kib(int64_t kib);
// Local time "YYYY-MM-DD HH:MM:SS".
std::string local_time(int64_t unix_seconds);

// `text` wrapped in the colour when `on`.
std::string paint(std::string_view text, std::string_view sgr, bool on);

struct Cell {
  Cell(std::string t) : text(std::move(t)) {}
  Cell(const char* t) : text(t) {}
  Cell(std::string t, std::string_view s) : text(std::move(t)), sgr(s) {}
  std::string text;
  std::string_view sgr;  // empty: no colour
};
using Row = std::vector<Cell>;

// Left-aligned columns two spaces apart, each as wide as its widest cell
// (by bytes before colouring, so colours never shift a column), no blanks
// at the ends of lines; one line per row, each ending in '\n'.
std::string format_table(const std::vector<Row>& rows, bool color);

// Two-space indented JSON and the compact form.
std::string pretty_json(const rapidjson::Value& v);
std::string compact_json(const rapidjson::Value& v);
// pretty_json and a newline: what commands that print JSON print.
std::string pretty_json_line(const rapidjson::Value& v);

}  // namespace backendctl
