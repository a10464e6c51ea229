// The wall clock as output lines need it, formatted once per second: at a
// million lines a second, localtime and strftime per line would dominate.
#pragma once

#include <ctime>
#include <string>

namespace backend::worker {

class LineClock {
 public:
  // "[yy-mm-dd HH:MM:SS] " in the server's time zone.
  const std::string& prefix() {
    refresh();
    return prefix_;
  }
  // "YYYYMMDDHH", the hour a log line belongs to.
  const std::string& hour() {
    refresh();
    return hour_;
  }
  time_t seconds() {
    refresh();
    return now_;
  }

 private:
  void refresh() {
    time_t now = time(nullptr);
    if (now == now_) return;
    now_ = now;
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "[%y-%m-%d %H:%M:%S] ", &tm);
    prefix_ = buf;
    strftime(buf, sizeof buf, "%Y%m%d%H", &tm);
    hour_ = buf;
  }

  time_t now_ = 0;
  std::string prefix_;
  std::string hour_;
};

}  // namespace backend::worker
