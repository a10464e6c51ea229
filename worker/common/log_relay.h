// The listener's server log lines travel to the master through a pipe, and
// the master writes them to the hourly file: a listener that has given up
// root can neither create the next hour's file nor reopen one for
// logrotate. A record is the hour it belongs to (YYYYMMDDHH), its length
// in 8 hex digits, then the formatted line(s).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace backend::worker {

std::string relay_record(std::string_view hour, std::string_view text);

// Takes the pipe's bytes as they come and hands out whole records.
class RelayReader {
 public:
  static constexpr size_t kHeaderBytes = 18;
  static constexpr size_t kMaxRecordBytes = 16u << 20;
  using Out = std::function<void(std::string_view hour, std::string_view text)>;

  void feed(std::string_view bytes, const Out& out);
  // Bytes that make no record: a torn header cannot be resynchronised, so
  // what is pending is dropped and counted.
  size_t discarded() const { return discarded_; }
  size_t pending() const { return pending_.size(); }

 private:
  std::string pending_;
  size_t discarded_ = 0;
};

}  // namespace backend::worker
