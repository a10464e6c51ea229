// Reading a job's output as the tests check it: the time prefix of a line,
// a job's log files, and the numbers a number_printer job (job_script.h)
// wrote, with their gaps and repeats. Shared by the tests that kill or
// replace parts of a running server and count every line afterwards.
#pragma once

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/server_fixture.h"

namespace itest {

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Reads a "[yy-mm-dd HH:MM:SS] " prefix into its six numbers.
inline bool parse_prefix(const std::string& line, int f[6]) {
  static constexpr char kShape[] = "[00-00-00 00:00:00] ";
  if (line.size() < sizeof kShape - 1) return false;
  for (size_t i = 0; i + 1 < sizeof kShape; ++i) {
    bool digit = std::isdigit(static_cast<unsigned char>(line[i]));
    if (kShape[i] == '0' ? !digit : line[i] != kShape[i]) return false;
  }
  for (int k = 0; k < 6; ++k) f[k] = (line[1 + 3 * k] - '0') * 10 + (line[2 + 3 * k] - '0');
  return true;
}

// The text of a line after its "[yy-mm-dd HH:MM:SS] " prefix; nullopt
// when the line has no such prefix.
inline std::optional<std::string> unprefixed(const std::string& line) {
  int f[6];
  if (!parse_prefix(line, f)) return std::nullopt;
  return line.substr(20);
}

// The job's log files (DATA_DIR/log/jobs/NAME/**), by path, oldest first.
inline std::vector<std::string> job_log_files(const Server& s, const std::string& job) {
  std::vector<std::string> files;
  std::error_code ec;
  std::string root = s.data_dir + "/log/jobs/" + job;
  if (!std::filesystem::exists(root, ec)) return files;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec); it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Concatenated stdout (.log) or stderr (.error.log) logs of the job.
inline std::string job_log_text(const Server& s, const std::string& job, bool errors) {
  std::string out;
  for (const auto& f : job_log_files(s, job)) {
    bool is_error = f.size() >= 10 && f.compare(f.size() - 10, 10, ".error.log") == 0;
    bool is_log = f.size() >= 4 && f.compare(f.size() - 4, 4, ".log") == 0;
    if (is_log && is_error == errors) out += read_file(f).value_or("");
  }
  return out;
}

struct NumberStats {
  long first = 0, last = 0, count = 0, gaps = 0, duplicates = 0, out_of_order = 0;
  std::string first_gap;  // "a..b" of the first missing range
};

inline NumberStats number_stats(const std::string& log, const std::string& job) {
  NumberStats st;
  std::vector<long> nums;
  std::string exit_prefix = "Process \"" + job + "\"";
  for (const auto& line : split_lines(log)) {
    auto text = unprefixed(line);
    if (!text || text->empty()) continue;
    if (text->rfind(exit_prefix, 0) == 0) continue;
    if (text->find_first_not_of("0123456789") != std::string::npos) continue;
    nums.push_back(std::stol(*text));
  }
  st.count = static_cast<long>(nums.size());
  if (nums.empty()) return st;
  st.first = nums.front();
  st.last = *std::max_element(nums.begin(), nums.end());
  std::map<long, int> seen;
  for (size_t i = 0; i < nums.size(); ++i) {
    if (++seen[nums[i]] > 1) ++st.duplicates;
    if (i > 0 && nums[i] <= nums[i - 1]) ++st.out_of_order;
  }
  for (long n = 1; n <= st.last; ++n)
    if (!seen.count(n)) {
      if (st.gaps == 0) {
        long end = n;
        while (end + 1 <= st.last && !seen.count(end + 1)) ++end;
        st.first_gap = std::to_string(n) + ".." + std::to_string(end);
      }
      ++st.gaps;
    }
  return st;
}

}  // namespace itest
