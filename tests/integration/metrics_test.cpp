// GET /metrics (worker/listener/metrics.h): what it counts, that promtool
// takes it, and a real Prometheus scraping it while a guarded job crashes.
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>

#include <csignal>
#include <regex>

#include <gtest/gtest.h>

#include "tests/support/job_script.h"
#include "tests/support/server_fixture.h"

namespace itest {
namespace {

std::string scrape(const Server& s) {
  auto r = http_exchange(s.http_port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(s.http_port) +
                                          "\r\n\r\n");
  EXPECT_TRUE(r && r->status == 200);
  if (!r) return "";
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return r->body;
}

// The value of one sample ("name{labels}"), or nullopt when it is absent.
std::optional<double> sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + series.size() + 2));
}

// promtool, from Debian's prometheus (run/setup.sh installs it).
CommandResult promtool_check(const Server& s, const std::string& text) {
  std::string file = s.dir + "/scrape.txt";
  write_file(file, text);
  return run_command({"/bin/sh", "-c", "promtool check metrics < '" + file + "'"}, 30000);
}

TEST(Metrics, CountWhatHappenedByJobReasonStreamAndCommand) {
  Server s;
  s.set("plugin_settings", R"({"guarder": {"backoff_max": 1}})");
  ASSERT_TRUE(s.start());
  auto talker = write_script(s, "talker", "echo one\necho two\necho oops >&2\n" + std::string(kIdle));
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"talker","command":")" + talker.path + R"(","guard":true})")));
  pid_t pid = start_job(s, talker);
  ASSERT_GT(pid, 0);
  // Each pipe is read when it is read: a little output waits for the next
  // read (50 ms), so the two streams are not seen in the order written.
  ASSERT_TRUE(wait_until([&] {
    auto t = scrape(s);
    return sample(t, R"(backend_job_output_lines_total{name="talker",stream="stderr"})") == 1 &&
           sample(t, R"(backend_job_output_lines_total{name="talker",stream="stdout"})") == 2;
  }, 3000)) << scrape(s);
  std::string text = scrape(s);
  EXPECT_EQ(sample(text, R"(backend_job_up{name="talker"})"), 1);
  EXPECT_EQ(sample(text, R"(backend_job_state{name="talker",state="up"})"), 1);
  EXPECT_EQ(sample(text, R"(backend_job_state{name="talker",state="down"})"), 0);
  EXPECT_EQ(sample(text, R"(backend_job_starts_total{name="talker",reason="manual"})"), 1);
  EXPECT_EQ(sample(text, R"(backend_job_output_lines_total{name="talker",stream="stdout"})"), 2);
  EXPECT_GT(*sample(text, R"(backend_job_resident_memory_bytes{name="talker"})"), 0);
  EXPECT_EQ(sample(text, R"(backend_jobs{state="up"})"), 1);
  EXPECT_EQ(sample(text, R"(backend_api_requests_total{command="ADD",code="OK"})"), 1);
  EXPECT_EQ(sample(text, R"(backend_build_info{version="0.1.0"})"), 1);
  for (const char* p : {"master", "listener", "supervisor"})
    EXPECT_GT(*sample(text, std::string(R"(backend_process_resident_memory_bytes{process=")") + p + "\"}"), 0) << p;
  // No state, pid or time in a label: a restart makes no series of its own.
  EXPECT_EQ(text.find(std::to_string(pid) + "\""), std::string::npos);

  // A crash: the guarder starts it again, counted as such.
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] {
    auto t = scrape(s);
    return sample(t, R"(backend_job_starts_total{name="talker",reason="crash"})") == 1 &&
           sample(t, R"(backend_job_up{name="talker"})") == 1;
  }, 5000)) << scrape(s);
  text = scrape(s);
  EXPECT_EQ(sample(text, R"(backend_job_last_exit_code{name="talker"})"), 128 + SIGKILL);
  EXPECT_GT(*sample(text, R"(backend_job_last_exit_time_seconds{name="talker"})"), 0);
  // Counters survive a listener's death: they live in shared memory.
  double adds = *sample(text, R"(backend_api_requests_total{command="ADD",code="OK"})");
  pid_t listener = s.listener_pid();
  ASSERT_EQ(kill(listener, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { pid_t l = s.listener_pid(); return l > 0 && l != listener && port_accepts(s.http_port); }, 5000));
  ASSERT_TRUE(s.wait_ready());
  text = scrape(s);
  EXPECT_EQ(sample(text, R"(backend_api_requests_total{command="ADD",code="OK"})"), adds);
  EXPECT_EQ(sample(text, R"(backend_worker_restarts_total{worker="listener"})"), 1);
  EXPECT_EQ(sample(text, R"(backend_job_starts_total{name="talker",reason="crash"})"), 1);
  auto checked = promtool_check(s, text);
  EXPECT_EQ(checked.exit_code(), 0) << checked.describe() << "\n" << text;
  ASSERT_TRUE(ok(s.request("STOP", R"({"jobname":"talker"})", 15000)));
}

// promtool on a scrape of a full house: 1,000 jobs, schedules and users.
TEST(Metrics, AScrapeOfAThousandJobsSchedulesAndUsersPassesPromtool) {
  Server s;
  ASSERT_TRUE(s.start());
  // 1,000 users: one made through the API for a real hash, the rest copies.
  ASSERT_TRUE(ok(s.request("AUTH.ADD", R"({"username":"u0","password":"secret","privileges":"STATUS"})")));
  ASSERT_TRUE(s.stop());
  std::string users = *read_file(s.data_dir + "/plugins/auth/users.json");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(users, m, std::regex(R"re("u0":(\{[^}]*\}))re"))) << users;
  std::string records;
  for (int i = 0; i < 1000; ++i) records += (i ? "," : "") + std::string("\"u") + std::to_string(i) + "\":" + m[1].str();
  write_file(s.data_dir + "/plugins/auth/users.json", R"({"version":1,"enable":false,"users":{)" + records + "}}");
  ASSERT_TRUE(s.start());
  WireClient c;
  ASSERT_TRUE(c.connect(s.port));
  // Noon on the 15th of next month: a schedule that has a next run but
  // never fires while the test runs ({"U":3600} fired all of them at once
  // when a run crossed the hour, and the requests behind them timed out).
  time_t now = time(nullptr);
  tm local{};
  localtime_r(&now, &local);
  const int next_month = (local.tm_mon + 1) % 12 + 1;  // tm_mon counts from 0
  const std::string month = (next_month < 10 ? "0" : "") + std::to_string(next_month);
  const std::string condition = R"({"m":")" + month + R"(","d":"15","H":"12","i":"00"})";
  for (int i = 0; i < 1000; ++i) {
    std::string job = "job-" + std::to_string(i);
    ASSERT_TRUE(ok(c.request("ADD", R"({"jobname":")" + job + R"(","command":"/bin/true"})")));
    ASSERT_TRUE(ok(c.request("SCHEDULER.ADD", R"({"jobname":")" + job + R"(","enable":true,"condition":)" + condition + "}")));
  }
  ASSERT_TRUE(ok(c.request("AUTH.GET", R"({"username":"u999"})")));
  std::string text = scrape(s);
  EXPECT_EQ(sample(text, R"(backend_jobs{state="down"})"), 1000);
  std::regex next(R"(backend_schedule_next_run_timestamp_seconds\{name="job-[0-9]+",uuid="[^"]+"\} [1-9])");
  EXPECT_EQ(std::distance(std::sregex_iterator(text.begin(), text.end(), next), std::sregex_iterator()), 1000);
  auto checked = promtool_check(s, text);
  EXPECT_EQ(checked.exit_code(), 0) << checked.describe();
}

// A real Prometheus (Debian's, run/setup.sh installs it) scrapes every
// second; through its own query API it sees a crashed guarded job counted
// and up again.
TEST(Metrics, PrometheusSeesACrashCountedAndTheJobUpAgain) {
  Server s;
  ASSERT_TRUE(s.start());
  auto j = write_script(s, "guarded", kIdle);
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"guarded","command":")" + j.path + R"(","guard":true})")));
  pid_t pid = start_job(s, j);
  ASSERT_GT(pid, 0);

  uint16_t prom_port = pick_free_port();
  std::string config = s.dir + "/prometheus.yml";
  write_file(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                     "  - job_name: backend\n    static_configs:\n      - targets: ['127.0.0.1:" +
                         std::to_string(s.http_port) + "']\n");
  pid_t prom = fork();
  if (prom == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execlp("prometheus", "prometheus", ("--config.file=" + config).c_str(),
           ("--storage.tsdb.path=" + s.dir + "/tsdb").c_str(),
           ("--web.listen-address=127.0.0.1:" + std::to_string(prom_port)).c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(prom, 0);
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{prom};
  // The value Prometheus has for a query right now, from its HTTP API.
  auto query = [&](const std::string& promql) -> std::optional<double> {
    std::string encoded;
    for (unsigned char ch : promql) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", ch);
      encoded += std::isalnum(ch) || ch == '_' ? std::string(1, char(ch)) : hex;
    }
    auto r = http_exchange(prom_port, "GET /api/v1/query?query=" + encoded + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                      "Connection: close\r\n\r\n", 2000);
    if (!r || r->status != 200) return std::nullopt;
    std::smatch m;
    if (!std::regex_search(r->body, m, std::regex(R"re("value":\[[0-9.]+,"([^"]+)"\])re"))) return std::nullopt;
    return std::stod(m[1]);
  };
  const std::string up = R"(backend_job_up{name="guarded"})";
  const std::string crashes = R"(backend_job_starts_total{name="guarded",reason="crash"})";
  ASSERT_TRUE(wait_until([&] { return query(up) == 1 && query(crashes) == 0; }, 30000, 200))
      << "Prometheus never scraped the job up";
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return query(crashes) == 1; }, 15000, 200)) << "the crash was not counted";
  EXPECT_TRUE(wait_until([&] { return query(up) == 1; }, 15000, 200)) << "the job did not come back up";
  EXPECT_TRUE(wait_until([&] { return query(R"(backend_job_starts_total{name="guarded",reason="manual"})") == 1; },
                         5000, 200));
  ASSERT_TRUE(ok(s.request("STOP", R"({"jobname":"guarded"})", 15000)));
}

}  // namespace
}  // namespace itest
