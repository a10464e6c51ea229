#include "worker/common/server_log.h"

#include "worker/common/background_log_sink.h"
#include "worker/common/log.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

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

std::shared_ptr<BackgroundLogSink> g_file;

}  // namespace

void log_setup(const std::string& log_dir, bool to_stderr, const std::string& level) {
  g_file = std::make_shared<BackgroundLogSink>(log_dir, to_stderr ? STDERR_FILENO : -1);
  auto logger = std::make_shared<spdlog::logger>("server", g_file);
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
  if (g_file) g_file->drop_copy();
}

void log_forward_to(int fd) {
  if (g_file) g_file->forward_to(fd);
}

void log_append_relayed(std::string_view hour, std::string_view text) {
  if (g_file) g_file->append_formatted(std::string(hour), std::string(text));
}

void log_flush() { spdlog::default_logger()->flush(); }

void log_defer_wakes_on_this_thread() {
  if (g_file) g_file->defer_wakes_on_this_thread();
}

void log_wake_writer() {
  if (g_file) g_file->wake_writer();
}

void log_before_fork() {
  if (g_file) g_file->before_fork();
}

void log_result(protocol::Code code, std::string_view error) {
  if (code == protocol::Code::kOk)
    spdlog::info("OK");
  else
    spdlog::info("{}: {}", protocol::code_name(code), error);
}

}  // namespace backend::worker
