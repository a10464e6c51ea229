// Workers killed with SIGKILL: the master starts them again, clients are
// served again at once, and no acknowledged job setting is ever lost.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/server_fixture.h"

namespace itest {
namespace {

std::string add_params(const std::string& job, const std::string& value) {
  return R"({"jobname":")" + job + R"(","command":"/bin/true","params":")" + value + R"("})";
}

std::string update_params(const std::string& job, const std::string& value) {
  return R"({"jobname":")" + job + R"(","params":")" + value + R"("})";
}

// The "params" setting of `job` as GET returns it; "" when missing.
std::string get_params(Server& s, const std::string& job) {
  auto r = s.request("GET", R"({"jobname":")" + job + R"("})");
  if (!r || !r->ok() || !r->has_data() || !r->data().IsObject()) return "";
  auto it = r->data().FindMember("params");
  return it != r->data().MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

// Time until a fresh connection gets STATUSALL answered, polled from now.
int64_t ms_until_served(uint16_t port, int timeout_ms) {
  int64_t t0 = now_ms();
  while (now_ms() - t0 < timeout_ms) {
    WireClient c;
    if (c.connect(port, 100)) {
      auto r = c.request("STATUSALL", {}, 300);
      if (r && r->ok()) return now_ms() - t0;
    }
    usleep(2000);
  }
  return -1;
}

TEST(Crash, KilledListenerIsReplacedAtOnce) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", add_params("a", "1"))));
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("kill number " + std::to_string(round + 1));
    pid_t listener = s.listener_pid();
    ASSERT_NE(listener, 0);
    // A client connected before the kill: its connection goes with the
    // listener, but it must be told (closed), never left hanging.
    WireClient before;
    ASSERT_TRUE(before.connect(s.port));
    ASSERT_TRUE(before.request("STATUSALL"));
    ASSERT_EQ(kill(listener, SIGKILL), 0);
    int64_t took = ms_until_served(s.port, 3000);
    ASSERT_GE(took, 0) << "no client served within 3 s after the listener was killed";
    EXPECT_LT(took, 1000) << "a client was served only " << took << " ms after the listener was killed";
    EXPECT_TRUE(before.wait_closed(2000)) << "a client of the dead listener was left hanging";
    pid_t again = s.listener_pid();
    EXPECT_NE(again, 0);
    EXPECT_NE(again, listener);
    EXPECT_FALSE(process_alive(listener));
    // Forwarded commands work through the new listener too.
    auto r = s.request("ADD", add_params("after" + std::to_string(round), "x"));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ok()) << r->raw;
  }
  EXPECT_TRUE(s.master_alive());
  EXPECT_EQ(get_params(s, "a"), "1");
}

TEST(Crash, KilledSupervisorKeepsSettingsAndAddWorksAgain) {
  Server s;
  ASSERT_TRUE(s.start());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ok(s.request("ADD", add_params("job" + std::to_string(i), "v" + std::to_string(i)))));
  ASSERT_TRUE(ok(s.request("UPDATE", update_params("job0", "changed"))));
  pid_t sup = s.supervisor_pid();
  ASSERT_NE(sup, 0);
  ASSERT_EQ(kill(sup, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { pid_t p = s.supervisor_pid(); return p != 0 && p != sup; }, 3000))
      << "the supervisor was not started again";
  // GET is answered from shared memory, and must still be right.
  EXPECT_EQ(get_params(s, "job0"), "changed");
  for (int i = 1; i < 5; ++i) EXPECT_EQ(get_params(s, "job" + std::to_string(i)), "v" + std::to_string(i));
  auto all = s.request("GETALL");
  ASSERT_TRUE(all && all->ok());
  EXPECT_EQ(all->data().MemberCount(), 5u) << all->raw;
  // Commands that need the supervisor work again.
  auto r = s.request("ADD", add_params("new", "n"), 3000);
  ASSERT_TRUE(r) << "ADD after the supervisor restart got no reply";
  EXPECT_TRUE(r->ok()) << r->raw;
  r = s.request("ADD", add_params("job1", "dup"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code(), "FAILED") << "the new supervisor does not know the jobs of the old one: " << r->raw;
  EXPECT_EQ(get_params(s, "new"), "n");
  r = s.request("DELETE", R"({"jobname":"job4"})");
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(code_of(s.request("GET", R"({"jobname":"job4"})")), "FAILED");
}

TEST(Crash, SettingsSurviveARestart) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"keep","command":"/bin/sleep","params":"10 20","buffersize":"7","writelog":"1","mine":{"x":[1,2]}})")));
  ASSERT_TRUE(ok(s.request("ADD", add_params("gone", "g"))));
  ASSERT_TRUE(ok(s.request("DELETE", R"({"jobname":"gone"})")));
  auto before = s.request("GETALL");
  ASSERT_TRUE(before && before->ok());
  ASSERT_TRUE(s.stop());
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(s.wait_for_job("keep"));
  auto after = s.request("GETALL");
  ASSERT_TRUE(after && after->ok());
  EXPECT_EQ(after->data_json(), before->data_json());
  auto r = s.request("GET", R"({"jobname":"keep"})");
  ASSERT_TRUE(r && r->ok()) << (r ? r->raw : "no reply");
  const auto& d = r->data();
  EXPECT_STREQ(d["command"].GetString(), "/bin/sleep");
  EXPECT_STREQ(d["params"].GetString(), "10 20");
  EXPECT_EQ(d["buffersize"].GetInt(), 7);
  EXPECT_TRUE(d["writelog"].GetBool());
  EXPECT_EQ(d["mine"]["x"].Size(), 2u);
  EXPECT_EQ(code_of(s.request("GET", R"({"jobname":"gone"})")), "FAILED");
}

// A restarted server must not answer from an empty job table while its
// supervisor is still loading jobs.json: a client that asks at once would be
// told that existing jobs do not exist. A large settings file makes the
// loading take long enough to be seen.
TEST(Crash, FirstAnswersAfterAStartAlreadyKnowTheSavedJobs) {
  constexpr int kJobs = 1000;
  Server s;
  ASSERT_EQ(mkdir(s.data_dir.c_str(), 0755), 0);
  std::string pad(8000, 'p');
  std::string jobs = "{";
  for (int i = 0; i < kJobs; ++i) {
    std::string name = "saved" + std::to_string(i);
    jobs += (i ? ",\n\"" : "\n\"") + name + R"(": {"jobname":")" + name +
            R"(","command":"/bin/true","params":")" + pad + R"(","buffersize":20,"writelog":false})";
  }
  write_file(s.jobs_file, jobs + "\n}\n");
  ASSERT_TRUE(s.start());  // returns on the first STATUSALL answered OK
  auto first = s.request("STATUSALL");
  ASSERT_TRUE(first && first->ok());
  auto get = s.request("GET", R"({"jobname":"saved999"})");
  ASSERT_TRUE(get);
  EXPECT_EQ(first->data().MemberCount(), static_cast<unsigned>(kJobs))
      << "a STATUSALL right after the start lists only " << first->data().MemberCount() << " of the " << kJobs
      << " saved jobs";
  EXPECT_TRUE(get->ok()) << "a GET right after the start: " << get->raw;
  // Eventually it is complete in any case.
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = s.request("STATUSALL");
        return r && r->ok() && r->data().MemberCount() == static_cast<unsigned>(kJobs);
      },
      5000, 20));
}

// Workers that keep dying young are started again with a growing delay;
// meanwhile the listener still answers queries from shared memory.
TEST(Crash, RepeatedSupervisorDeathsAreBackedOffAndQueriesStillServed) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", add_params("q", "kept"))));
  std::vector<int64_t> gaps;
  for (int i = 0; i < 4; ++i) {
    pid_t sup = 0;
    ASSERT_TRUE(wait_until([&] { return (sup = s.supervisor_pid()) != 0; }, 3000));
    int64_t t0 = now_ms();
    ASSERT_EQ(kill(sup, SIGKILL), 0);
    bool queried = false;
    pid_t next = 0;
    ASSERT_TRUE(wait_until(
        [&] {
          if (!queried) {
            // Answered by the listener alone, whether a supervisor runs or not.
            auto r = s.request("GET", R"({"jobname":"q"})", 1000);
            EXPECT_TRUE(r && r->ok()) << "GET failed while the supervisor was down";
            queried = true;
          }
          next = s.supervisor_pid();
          return next != 0 && next != sup;
        },
        5000, 2))
        << "supervisor not started again after kill " << i;
    gaps.push_back(now_ms() - t0);
  }
  // Expected delays 0, 100, 200, 400 ms: only lower bounds are certain.
  EXPECT_LT(gaps[0], 1000) << "the first death must be answered at once";
  EXPECT_GE(gaps[2], 150) << "no backoff for a supervisor that keeps dying";
  EXPECT_GE(gaps[3], gaps[2]) << "the backoff does not grow";
  EXPECT_NE(s.log_text().find("starting it again in"), std::string::npos) << s.log_text();
  auto r = s.request("ADD", add_params("after", "x"), 3000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok()) << r->raw;
}

// A master killed with SIGKILL can clean nothing up: its workers must still
// go (they would hold the port), and the next start must take over.
TEST(Crash, KilledMasterTakesItsWorkersAlongAndTheNextStartWorks) {
  Server s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(ok(s.request("ADD", add_params("survivor", "s"))));
  pid_t master = s.master_pid();
  std::vector<pid_t> workers = children_of(master);
  ASSERT_EQ(workers.size(), 2u);
  ASSERT_EQ(kill(master, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return !s.master_alive(); }, 2000));
  for (pid_t w : workers)
    EXPECT_TRUE(wait_until([&] { return !process_alive(w); }, 3000)) << "worker " << w << " outlived its master";
  EXPECT_TRUE(wait_until([&] { return !port_accepts(s.port, 100); }, 3000)) << "the port is still served";
  ASSERT_TRUE(s.start()) << "no start after a killed master (stale pidfile and shared memory)";
  ASSERT_TRUE(s.wait_for_job("survivor"));
  EXPECT_EQ(get_params(s, "survivor"), "s");
  EXPECT_EQ(read_pidfile(s.pidfile), s.master_pid());
}

// What the client thread knows about one job.
struct JobTrack {
  bool acked = false;                // an ADD was answered OK
  std::string acked_value;           // value of the last OK ADD/UPDATE
  std::set<std::string> candidates;  // what it may hold: acked_value and later unanswered attempts
};

class Writer {
 public:
  explicit Writer(uint16_t port, int seed) : port_(port), rng_(seed) {}

  void start(const std::string& prefix) {
    prefix_ = prefix;
    stop_ = false;
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  ~Writer() { stop(); }

  std::map<std::string, JobTrack> snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return jobs_;
  }
  int ok_count() const { return ok_; }
  int not_ok() const { return not_ok_; }
  int timeouts() const { return timeouts_; }
  std::string odd_replies() {
    std::lock_guard<std::mutex> lock(mu_);
    return odd_;
  }

 private:
  static constexpr int kMaxAdds = 100;

  void run() {
    WireClient c;
    int counter = 0, value = 0;
    while (!stop_) {
      if (!c.connected() && !c.connect(port_, 1000)) {
        usleep(5000);
        continue;
      }
      std::string job, val = "v" + std::to_string(++value);
      bool add;
      {
        std::lock_guard<std::mutex> lock(mu_);
        std::vector<std::string> known;
        for (auto& [name, t] : jobs_)
          if (t.acked) known.push_back(name);
        // A third ADDs, up to kMaxAdds: the table (1,024 jobs) keeps every
        // generation's jobs, and a fast server filled it in the eighth.
        add = known.empty() || (counter < kMaxAdds && rng_() % 3 == 0);
        job = add ? prefix_ + std::to_string(counter++) : known[rng_() % known.size()];
        jobs_[job].candidates.insert(val);
      }
      WireClient::Status st;
      auto r = c.request(add ? "ADD" : "UPDATE", add ? add_params(job, val) : update_params(job, val), 5000, &st);
      std::lock_guard<std::mutex> lock(mu_);
      JobTrack& t = jobs_[job];
      if (r && r->ok()) {
        ++ok_;
        t.acked = true;
        t.acked_value = val;
        t.candidates = {val};
        continue;
      }
      ++not_ok_;
      if (!r && st == WireClient::Status::kTimeout) ++timeouts_;
      if (r && (r->code() != "FAILED" || r->error().empty()))
        odd_ += "\n" + job + ": " + r->raw;
      // Answered FAILED: did not take effect, or took effect with the
      // supervisor that died; the value stays a candidate either way.
      if (!r) c.close();
    }
  }

  uint16_t port_;
  std::mt19937 rng_;
  std::string prefix_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, JobTrack> jobs_;
  std::atomic<int> ok_{0}, not_ok_{0}, timeouts_{0};
  std::string odd_;
};

// jobs.json as {name: params}; nullopt (with why) when it does not parse
// as an object of objects.
std::optional<std::map<std::string, std::string>> jobs_on_disk(const std::string& path, std::string& why) {
  auto text = read_file(path);
  if (!text) {
    why = "missing";
    return std::nullopt;
  }
  auto doc = parse_json(*text);
  if (!doc || !doc->IsObject()) {
    why = "not a JSON object (" + std::to_string(text->size()) + " bytes): " + text->substr(0, 200);
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  for (auto& m : doc->GetObject()) {
    if (!m.value.IsObject()) {
      why = std::string("settings of ") + m.name.GetString() + " are not an object";
      return std::nullopt;
    }
    auto it = m.value.FindMember("params");
    out[m.name.GetString()] = it != m.value.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  }
  return out;
}

// The supervisor is killed at random moments while a client ADDs and
// UPDATEs without pause. The master backs off a worker that keeps dying
// young (0, 100, 200, 400 ms, ...), so the server is restarted every few
// kills; that tests the settings across restarts as well.
TEST(Crash, SupervisorKilledDuringWritesNeverLosesAnAcknowledgedJob) {
  constexpr int kGenerations = 8, kKillsPerGeneration = 4;
  Server s;
  std::mt19937 rng(static_cast<unsigned>(now_ms()));
  std::map<std::string, JobTrack> known;  // carried over between generations
  int rounds = 0, total_ok = 0, total_not_ok = 0;
  for (int gen = 0; gen < kGenerations; ++gen) {
    SCOPED_TRACE("server generation " + std::to_string(gen));
    ASSERT_TRUE(s.start());
    Writer w(s.port, static_cast<int>(rng()));
    w.start("g" + std::to_string(gen) + "j");
    for (int k = 0; k < kKillsPerGeneration; ++k, ++rounds) {
      SCOPED_TRACE("kill " + std::to_string(k));
      pid_t sup = 0;
      ASSERT_TRUE(wait_until([&] { return (sup = s.supervisor_pid()) != 0; }, 3000)) << "no supervisor";
      int ok_before = w.ok_count();
      ASSERT_TRUE(wait_until([&] { return w.ok_count() > ok_before; }, 3000))
          << "the client made no progress with supervisor " << sup << "; not OK: " << w.not_ok()
          << w.odd_replies() << "\n" << s.log_text();
      usleep(static_cast<useconds_t>(rng() % 25000));  // a random moment in the stream of writes
      auto acked_before = w.snapshot();
      ASSERT_EQ(kill(sup, SIGKILL), 0);
      ASSERT_TRUE(wait_until([&] { return !process_alive(sup); }, 2000));
      std::string why;
      auto disk = jobs_on_disk(s.jobs_file, why);
      ASSERT_TRUE(disk) << s.jobs_file << " right after the kill: " << why;
      for (const auto& [name, t] : acked_before)
        if (t.acked) {
          EXPECT_TRUE(disk->count(name)) << "acknowledged job " << name << " is not in jobs.json";
        }
      ASSERT_TRUE(wait_until([&] { pid_t p = s.supervisor_pid(); return p != 0 && p != sup; }, 3000))
          << "the supervisor was not started again";
    }
    ASSERT_TRUE(wait_until([&] { return w.ok_count() > 0; }, 3000));
    w.stop();
    EXPECT_EQ(w.timeouts(), 0) << "requests left without any reply for 5 s";
    EXPECT_EQ(w.odd_replies(), "") << "answers that are neither OK nor FAILED with an error";
    for (auto& [name, t] : w.snapshot()) known[name] = t;
    total_ok += w.ok_count();
    total_not_ok += w.not_ok();

    // Quiet now: every acknowledged job is served and on disk, each with a
    // value it may hold.
    std::string why;
    auto disk = jobs_on_disk(s.jobs_file, why);
    ASSERT_TRUE(disk) << why;
    auto all = s.request("GETALL");
    ASSERT_TRUE(all && all->ok());
    for (const auto& [name, t] : known) {
      auto served = all->data().FindMember(name.c_str());
      bool in_memory = served != all->data().MemberEnd();
      if (!t.acked) continue;
      ASSERT_TRUE(in_memory) << "acknowledged job " << name << " missing from GETALL";
      ASSERT_TRUE(disk->count(name)) << "acknowledged job " << name << " missing from jobs.json";
      std::string value = served->value["params"].GetString();
      EXPECT_TRUE(t.candidates.count(value)) << name << " holds " << value << ", last acknowledged "
                                             << t.acked_value;
      EXPECT_EQ((*disk)[name], value) << name << ": jobs.json and the server disagree";
    }
    EXPECT_EQ(all->data().MemberCount(), disk->size()) << "GETALL and jobs.json list different jobs";
    int status = -1;
    ASSERT_TRUE(s.stop(5000, &status));
    EXPECT_EQ(status, 0) << "the master did not exit 0";
  }
  EXPECT_EQ(rounds, kGenerations * kKillsPerGeneration);
  std::cout << "[ stats    ] " << rounds << " supervisor kills, " << total_ok << " writes answered OK, "
            << total_not_ok << " not OK, " << known.size() << " jobs\n";
  // And once more after the last restart.
  ASSERT_TRUE(s.start());
  for (const auto& [name, t] : known) {
    if (t.acked) {
      ASSERT_TRUE(s.wait_for_job(name)) << name << " lost across restarts";
    }
  }
  auto all = s.request("GETALL");
  ASSERT_TRUE(all && all->ok());
  for (const auto& [name, t] : known)
    if (t.acked) {
      EXPECT_TRUE(all->data().HasMember(name.c_str())) << name << " lost across restarts";
    }
}

}  // namespace
}  // namespace itest
