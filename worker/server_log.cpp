#include "worker/server_log.h"

#include "worker/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace backend::worker {
namespace {

// "warning: " and "error: " before such messages; plain info as the original.
class LevelTag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view tag;
    if (msg.level == spdlog::level::warn) tag = "warning: ";
    if (msg.level >= spdlog::level::err) tag = "error: ";
    if (msg.level <= spdlog::level::debug) tag = "debug: ";
    dest.append(tag.data(), tag.data() + tag.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<LevelTag>(); }
};

std::unique_ptr<spdlog::formatter> make_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<LevelTag>('*').set_pattern("[%C-%m-%d %H:%M:%S] %*%v");
  return f;
}


// One file per hour, opened with O_APPEND and written a whole line per
// write(2), so the three server processes can share it without tearing lines.
class HourlySink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit HourlySink(std::string dir) : dir_(std::move(dir)) {}
  ~HourlySink() override { close_file(); }
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    close_file();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
    std::tm tm{};
    localtime_r(&t, &tm);
    char hour[16];
    std::strftime(hour, sizeof hour, "%Y%m%d%H", &tm);
    if (fd_ < 0 || hour_ != hour) open_for(hour);
    if (fd_ >= 0) (void)!write(fd_, buf.data(), buf.size());
  }
  void flush_() override {}

 private:
  void open_for(const std::string& hour) {
    close_file();
    std::string day_dir = dir_ + "/" + hour.substr(0, 8);
    make_dirs(day_dir);
    fd_ = open((day_dir + "/" + hour + ".log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    hour_ = hour;
  }
  void close_file() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  std::string dir_;
  std::string hour_;
  int fd_ = -1;
};

class RingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RingSink(shm::Ring ring) : ring_(ring) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    size_t n = buf.size();
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) --n;
    ring_.append(std::string_view(buf.data(), n));
  }
  void flush_() override {}

 private:
  shm::Ring ring_;
};

std::shared_ptr<HourlySink> g_file;

}  // namespace

void log_setup(const std::string& log_dir, bool to_stderr, const std::string& level) {
  std::vector<spdlog::sink_ptr> sinks;
  g_file = std::make_shared<HourlySink>(log_dir);
  sinks.push_back(g_file);
  if (to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto logger = std::make_shared<spdlog::logger>("server", sinks.begin(), sinks.end());
  logger->set_formatter(make_formatter());
  spdlog::set_default_logger(logger);
  log_set_level(level);
}

void log_to_ring(const shm::Ring& ring) {
  auto sink = std::make_shared<RingSink>(ring);
  sink->set_formatter(make_formatter());
  sink->set_level(spdlog::level::info);
  spdlog::default_logger()->sinks().push_back(sink);
}

void log_set_level(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  spdlog::default_logger()->set_level(lvl);
  spdlog::default_logger()->flush_on(spdlog::level::trace);
}

void log_set_timezone(const std::string& zone) {
  if (zone.empty())
    unsetenv("TZ");
  else
    setenv("TZ", zone.c_str(), 1);
  tzset();
}

void log_reopen() {
  if (g_file) g_file->reopen();
}

void log_drop_stderr() {
  auto& sinks = spdlog::default_logger()->sinks();
  std::erase_if(sinks, [](const spdlog::sink_ptr& s) {
    return dynamic_cast<spdlog::sinks::stderr_sink_mt*>(s.get()) != nullptr;
  });
}

void log_result(protocol::Code code, std::string_view error) {
  if (code == protocol::Code::kOk)
    spdlog::info("OK");
  else
    spdlog::info("{}: {}", protocol::code_name(code), error);
}

}  // namespace backend::worker
