// The dashboard's server side (worker/listener/dashboard/README.md) over a
// real server's HTTP face: the page and its policy, sessions and their
// CSRF token, logins, event streams, and the commands the page uses beyond
// the core ones (USAGE, USAGEALL, SCHEDULER.NEXTRUNS).
#include <poll.h>
#include <sys/socket.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/job_script.h"
#include "tests/support/server_fixture.h"

namespace itest {
namespace {

const std::string kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const std::string kEnded = R"({"code":"DENIED","error":"the session ended; log in again"})";

// The cookie a Set-Cookie header gives ("" when none).
std::string cookie_of(const HttpReply& r) {
  std::string h = r.header("set-cookie");
  const std::string name = "backend_session=";
  if (h.rfind(name, 0) != 0) return "";
  return h.substr(name.size(), h.find(';') - name.size());
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string str(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "<none>";
}

// One block of an event stream.
struct Event {
  std::string id, name, data, comment;
};

// An event stream read from a raw socket: every read has a deadline, and a
// stream that says nothing fails the wait, never hangs it.
class StreamClient {
 public:
  // Sends the request and reads the response's head.
  bool open(uint16_t port, const std::string& request, int timeout_ms = 5000) {
    if (!c_.connect(port, timeout_ms) || !c_.send_raw(request, timeout_ms)) return false;
    int64_t deadline = now_ms() + timeout_ms;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return false;
    HttpReply head;
    if (!parse_http_head(buf_.substr(0, end), head)) return false;
    buf_.erase(0, end + 4);
    status = head.status;
    headers = std::move(head.headers);
    parse();
    return true;
  }

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }

  // Reads until pred(events) holds; false when the deadline passed or the
  // stream ended first.
  bool read_until(const std::function<bool(const std::vector<Event>&)>& pred, int timeout_ms) {
    int64_t deadline = now_ms() + timeout_ms;
    while (!pred(events)) {
      if (!fill(deadline)) return pred(events);
      parse();
    }
    return true;
  }

  std::vector<Event> named(const std::string& name) const {
    std::vector<Event> out;
    for (const auto& e : events)
      if (e.name == name) out.push_back(e);
    return out;
  }

  int status = 0;
  std::map<std::string, std::string> headers;
  std::vector<Event> events;
  bool closed = false;

 private:
  // One read of what is there, waiting at most until the deadline.
  bool fill(int64_t deadline) {
    int64_t left = deadline - now_ms();
    if (left <= 0 || closed) return false;
    pollfd p{c_.fd(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char tmp[16384];
    ssize_t n = recv(c_.fd(), tmp, sizeof tmp, 0);
    if (n <= 0) {
      closed = true;
      return false;
    }
    buf_.append(tmp, size_t(n));
    return true;
  }

  void parse() {
    size_t end;
    while ((end = buf_.find("\n\n")) != std::string::npos) {
      std::string block = buf_.substr(0, end);
      buf_.erase(0, end + 2);
      Event e;
      size_t at = 0;
      for (;;) {
        size_t nl = block.find('\n', at);
        std::string line = block.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
        if (line.rfind(":", 0) == 0) e.comment = line;
        if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
        if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
        if (line.rfind("data: ", 0) == 0) e.data += line.substr(6);
        if (nl == std::string::npos) break;
        at = nl + 1;
      }
      events.push_back(e);
    }
  }

  WireClient c_;
  std::string buf_;
};

struct Line {
  uint64_t n;
  std::string text;
};

// The lines of every `lines` event so far, in order.
std::vector<Line> lines_of(const std::vector<Event>& events) {
  std::vector<Line> out;
  for (const auto& e : events) {
    if (e.name != "lines") continue;
    auto d = parse_json(e.data);
    if (!d || !d->IsObject() || !d->HasMember("lines")) {
      ADD_FAILURE() << "a lines event that is not one: " << e.data;
      continue;
    }
    for (const auto& l : (*d)["lines"].GetArray()) out.push_back({l["n"].GetUint64(), l["text"].GetString()});
  }
  return out;
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(s.start()); }
  void TearDown() override {
    if (HasFailure()) s.print_stderr_tails();
  }

  std::string host() const { return "Host: 127.0.0.1:" + std::to_string(s.http_port) + "\r\n"; }
  std::optional<HttpReply> send(const std::string& request) { return http_exchange(s.http_port, request); }
  std::optional<HttpReply> get(const std::string& path, const std::string& headers = {}) {
    return send("GET " + path + " HTTP/1.1\r\n" + host() + headers + "\r\n");
  }
  static std::string cookie_header(const std::string& cookie) {
    return cookie.empty() ? "" : "Cookie: theme=dark; backend_session=" + cookie + "; lang=en\r\n";
  }
  // POST /api/COMMAND as the page sends it: the cookie and the token.
  std::optional<HttpReply> api(const std::string& command, const std::string& params, const std::string& cookie,
                               const std::string& token, const std::string& extra = {}) {
    std::string headers = cookie_header(cookie) + extra;
    if (!token.empty()) headers += "X-CSRF-Token: " + token + "\r\n";
    return send(http_post(s.http_port, command, params, headers));
  }
  std::optional<HttpReply> ui_post(const std::string& path, const std::string& body, const std::string& headers,
                                   const std::string& type = "application/json") {
    return send("POST " + path + " HTTP/1.1\r\n" + host() + "Content-Type: " + type +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + headers + "\r\n" + body);
  }
  std::optional<HttpReply> login(const std::string& user, const std::string& password) {
    return ui_post("/ui/login", R"({"username":")" + user + R"(","password":")" + password + "\"}", {});
  }

  struct Web {
    std::string cookie, csrf;
  };
  // With auth off: the session every page gets.
  Web open_session() {
    auto r = get("/ui/session");
    EXPECT_TRUE(r && r->status == 200);
    if (!r) return {};
    auto d = parse_json(r->body);
    EXPECT_TRUE(d && d->IsObject()) << r->body;
    return {cookie_of(*r), d && d->IsObject() ? str(*d, "csrf") : ""};
  }
  // A login that must succeed.
  Web log_in(const std::string& user, const std::string& password) {
    auto r = login(user, password);
    EXPECT_TRUE(r && r->status == 200);
    if (!r) return {};
    auto d = parse_json(r->body);
    EXPECT_TRUE(d && str(*d, "code") == "OK") << r->body;
    if (!d || str(*d, "code") != "OK") return {};
    return {cookie_of(*r), str((*d)["data"], "csrf")};
  }

  std::string events_request(const std::string& query, const std::string& cookie, const std::string& extra = {}) {
    return "GET /ui/events" + query + " HTTP/1.1\r\n" + host() + cookie_header(cookie) +
           "Accept: text/event-stream\r\n" + extra + "\r\n";
  }

  void add_job(const std::string& name, const std::string& body) {
    auto j = write_script(s, name, body);
    ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":")" + name + R"(","command":")" + j.path + "\"}")));
  }

  Server s;
};

TEST_F(DashboardTest, ThePageIsServedWithTheDashboardPolicy) {
  auto page = get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->header("content-type"), "text/html; charset=utf-8");
  std::string csp = page->header("content-security-policy");
  EXPECT_EQ(csp, kCsp);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(page->header("x-frame-options"), "DENY");
  EXPECT_EQ(page->header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page->header("referrer-policy"), "no-referrer");
  EXPECT_EQ(page->header("content-encoding"), "");
  ASSERT_FALSE(page->body.empty());
  EXPECT_NE(page->body.find("<html"), std::string::npos);
  // No inline script: every <script> names its file.
  for (size_t at = page->body.find("<script"); at != std::string::npos; at = page->body.find("<script", at + 1)) {
    std::string tag = page->body.substr(at, page->body.find('>', at) - at);
    EXPECT_NE(tag.find("src="), std::string::npos) << tag;
  }
  // The same with gzip, when the browser takes it.
  auto gz = get("/", "Accept-Encoding: gzip, deflate, br\r\n");
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200);
  EXPECT_EQ(gz->header("content-encoding"), "gzip");
  EXPECT_NE(gz->header("vary").find("Accept-Encoding"), std::string::npos);
  EXPECT_EQ(gz->header("content-security-policy"), kCsp);
  ASSERT_GE(gz->body.size(), 2u);
  EXPECT_EQ(uint8_t(gz->body[0]), 0x1f);
  EXPECT_EQ(uint8_t(gz->body[1]), 0x8b);
  EXPECT_LT(gz->body.size(), page->body.size());
}

TEST_F(DashboardTest, TheFilesAreUnderUiAndNothingElseIs) {
  auto app = get("/ui/app.js");
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 200);
  EXPECT_EQ(app->header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(app->header("content-security-policy"), kCsp);
  EXPECT_EQ(app->header("x-frame-options"), "DENY");
  for (const char* path : {"/ui/nosuch.js", "/ui/", "/ui/../CMakeLists.txt", "/ui/%2e%2e/CMakeLists.txt",
                           "/ui/README.md", "/ui//app.js", "/ui/app.js/"}) {
    auto r = get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 200) << path;
    EXPECT_GE(r->status, 400) << path;
  }
  auto missing = get("/ui/nosuch.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto post = ui_post("/", "", {});
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto foreign = send("GET / HTTP/1.1\r\nHost: evil.example:" + std::to_string(s.http_port) + "\r\n\r\n");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403) << "DNS rebinding gets no page either";
}

TEST_F(DashboardTest, WithAuthOffEveryPageGetsASessionAndItsToken) {
  auto r = get("/ui/session");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  auto d = parse_json(r->body);
  ASSERT_TRUE(d && d->IsObject()) << r->body;
  EXPECT_TRUE((*d)["auth"].IsFalse()) << r->body;
  EXPECT_TRUE((*d)["user"].IsNull()) << r->body;
  EXPECT_EQ(str(*d, "privileges"), "*");
  EXPECT_TRUE(is_hex64(str(*d, "csrf"))) << r->body;
  EXPECT_FALSE(str(*d, "version").empty());
  std::string set_cookie = r->header("set-cookie");
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << set_cookie;
  std::string cookie = cookie_of(*r);
  ASSERT_TRUE(is_hex64(cookie)) << set_cookie;
  EXPECT_NE(cookie, str(*d, "csrf"));
  // Asked again with its cookie: the same session, no new cookie.
  auto again = get("/ui/session", cookie_header(cookie));
  ASSERT_TRUE(again);
  auto d2 = parse_json(again->body);
  ASSERT_TRUE(d2);
  EXPECT_EQ(str(*d2, "csrf"), str(*d, "csrf"));
  EXPECT_EQ(again->header("set-cookie"), "");
  // Another page (no cookie) gets another session.
  Web other = open_session();
  EXPECT_NE(other.cookie, cookie);
  EXPECT_NE(other.csrf, str(*d, "csrf"));
}

TEST_F(DashboardTest, TheApiWithACookieNeedsItsTokenAndAnswersAsTheSocket) {
  add_job("web", kIdle);
  Web w = open_session();
  ASSERT_TRUE(is_hex64(w.cookie) && is_hex64(w.csrf));
  auto none = api("STATUSALL", "", w.cookie, "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 403) << "a cookie without its token is what another site's form sends";
  auto wrong = api("STATUSALL", "", w.cookie, std::string(64, 'a'));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  auto other = open_session();
  auto crossed = api("STATUSALL", "", w.cookie, other.csrf);
  ASSERT_TRUE(crossed);
  EXPECT_EQ(crossed->status, 403) << "another session's token";
  auto right = api("STATUSALL", "", w.cookie, w.csrf);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_EQ(right->header("content-type"), "application/json");
  EXPECT_EQ(right->body, s.request("STATUSALL")->raw);
  auto get_web = api("GET", R"({"jobname":"web"})", w.cookie, w.csrf);
  ASSERT_TRUE(get_web);
  EXPECT_EQ(get_web->body, s.request("GET", R"({"jobname":"web"})")->raw);
  // A change through the session is done.
  auto started = api("START", R"({"jobname":"web"})", w.cookie, w.csrf);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->body, R"({"code":"OK"})");
  // A cookie the server does not know: the page must log in again.
  auto unknown = api("STATUSALL", "", std::string(64, '0'), w.csrf);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(unknown->header("content-type"), "application/json");
  EXPECT_EQ(unknown->body, kEnded);
  // No cookie at all: a client of the API, no token needed.
  auto client = api("STATUSALL", "", "", "");
  ASSERT_TRUE(client);
  EXPECT_EQ(client->status, 200);
}

TEST_F(DashboardTest, AForeignOriginOrHostIsRefusedEvenWithTheSession) {
  Web w = open_session();
  std::string port = std::to_string(s.http_port);
  auto foreign_origin = api("STATUSALL", "", w.cookie, w.csrf, "Origin: http://evil.example\r\n");
  ASSERT_TRUE(foreign_origin);
  EXPECT_EQ(foreign_origin->status, 403);
  auto own_origin = api("STATUSALL", "", w.cookie, w.csrf, "Origin: http://127.0.0.1:" + port + "\r\n");
  ASSERT_TRUE(own_origin);
  EXPECT_EQ(own_origin->status, 200);
  auto foreign_host = send("POST /api/STATUSALL HTTP/1.1\r\nHost: evil.example:" + port +
                           "\r\nContent-Type: application/json\r\nContent-Length: 0\r\n" + cookie_header(w.cookie) +
                           "X-CSRF-Token: " + w.csrf + "\r\n\r\n");
  ASSERT_TRUE(foreign_host);
  EXPECT_EQ(foreign_host->status, 403);
  auto session = get("/ui/session", "Origin: http://evil.example\r\n");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->status, 403);
  EXPECT_EQ(session->header("set-cookie"), "") << "no session for another site";
  auto events = get("/ui/events", cookie_header(w.cookie) + "Origin: http://evil.example\r\n");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->status, 403);
}

TEST_F(DashboardTest, AJobStreamSendsTheJobAndItsLinesAndResumesFromLastEventId) {
  add_job("talker", number_printer_body(20'000, 1, 0));
  auto j = write_script(s, "talker", number_printer_body(20'000, 1, 0));
  ASSERT_GT(start_job(s, j), 0);
  Web w = open_session();
  StreamClient first;
  ASSERT_TRUE(first.open(s.http_port, events_request("?job=talker", w.cookie)));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.header("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(first.header("content-length"), "");
  EXPECT_EQ(first.header("content-security-policy"), kCsp);
  ASSERT_TRUE(first.read_until(
      [](const std::vector<Event>& ev) {
        size_t batches = 0;
        for (const auto& e : ev) batches += e.name == "lines";
        return batches >= 3 && lines_of(ev).size() >= 20;
      },
      8000))
      << first.events.size() << " events, " << lines_of(first.events).size() << " lines";
  auto job = first.named("job");
  ASSERT_GE(job.size(), 1u);
  auto jd = parse_json(job[0].data);
  ASSERT_TRUE(jd) << job[0].data;
  EXPECT_EQ(str(*jd, "name"), "talker");
  EXPECT_EQ(str(*jd, "state"), "UP");
  EXPECT_TRUE(first.named("jobs").empty());
  // Ids grow; each batch begins where the last one ended (the ring keeps
  // all of them: no gap), and the id is the next line to ask for.
  auto batches = first.named("lines");
  uint64_t expect_n = 0;
  uint64_t last_id = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    auto d = parse_json(batches[i].data);
    ASSERT_TRUE(d) << batches[i].data;
    uint64_t id = std::stoull(batches[i].id);
    EXPECT_EQ(id, (*d)["next"].GetUint64());
    if (i) {
      EXPECT_GT(id, last_id) << i;
    }
    last_id = id;
    for (const auto& l : (*d)["lines"].GetArray()) {
      EXPECT_EQ(l["n"].GetUint64(), expect_n) << "batch " << i;
      EXPECT_FALSE(l["err"].GetBool());
      expect_n = l["n"].GetUint64() + 1;
    }
  }
  // The job printed 1, 2, 3, ... (after the time stamp the server adds).
  auto number = [](const std::string& text) -> long long {
    size_t at = text.find_last_not_of("0123456789");
    std::string digits = text.substr(at == std::string::npos ? 0 : at + 1);
    return digits.empty() ? -1 : std::stoll(digits);
  };
  auto lines = lines_of(first.events);
  for (size_t i = 1; i < lines.size(); ++i)
    EXPECT_EQ(number(lines[i].text), number(lines[i - 1].text) + 1) << lines[i].n << ": " << lines[i].text;
  // A reconnect says where it was: the lines from there on only.
  uint64_t resume = std::stoull(batches[1].id);
  StreamClient second;
  ASSERT_TRUE(second.open(s.http_port, events_request("?job=talker", w.cookie,
                                                      "Last-Event-ID: " + std::to_string(resume) + "\r\n")));
  EXPECT_EQ(second.status, 200);
  ASSERT_TRUE(second.read_until([](const std::vector<Event>& ev) { return lines_of(ev).size() >= 5; }, 8000));
  auto resumed = lines_of(second.events);
  EXPECT_EQ(resumed.front().n, resume);
  for (const auto& l : resumed) EXPECT_GE(l.n, resume);
  for (const auto& l : lines) {
    if (l.n == resume) {
      EXPECT_EQ(resumed.front().text, l.text) << "the same line";
    }
  }
}

TEST_F(DashboardTest, TheAllJobsStreamBeginsWithEveryJob) {
  add_job("alpha", kIdle);
  add_job("beta", kIdle);
  Web w = open_session();
  StreamClient st;
  ASSERT_TRUE(st.open(s.http_port, events_request("", w.cookie)));
  ASSERT_EQ(st.status, 200);
  ASSERT_TRUE(st.read_until([](const std::vector<Event>& ev) {
    for (const auto& e : ev)
      if (e.name == "jobs") return true;
    return false;
  }, 5000));
  auto d = parse_json(st.named("jobs")[0].data);
  ASSERT_TRUE(d && d->IsObject());
  EXPECT_TRUE(d->HasMember("alpha") && d->HasMember("beta")) << st.named("jobs")[0].data;
  // A job that starts is sent as a job event.
  auto alpha = write_script(s, "alpha", kIdle);
  ASSERT_GT(start_job(s, alpha), 0);
  ASSERT_TRUE(st.read_until([](const std::vector<Event>& ev) {
    for (const auto& e : ev)
      if (e.name == "job" && e.data.find("\"alpha\"") != std::string::npos &&
          e.data.find("\"UP\"") != std::string::npos)
        return true;
    return false;
  }, 5000));
  // A deleted one is gone.
  ASSERT_TRUE(ok(s.request("DELETE", R"({"jobname":"beta"})")));
  ASSERT_TRUE(st.read_until([](const std::vector<Event>& ev) {
    for (const auto& e : ev)
      if (e.name == "gone" && e.data == R"({"name":"beta"})") return true;
    return false;
  }, 5000));
}

TEST_F(DashboardTest, AStreamNeedsASessionAndAJobThatExists) {
  auto no_cookie = get("/ui/events?job=x");
  ASSERT_TRUE(no_cookie);
  EXPECT_EQ(no_cookie->status, 401);
  auto unknown = get("/ui/events", cookie_header(std::string(64, '1')));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  Web w = open_session();
  auto missing = get("/ui/events?job=nosuch", cookie_header(w.cookie));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 403);
  EXPECT_NE(missing->body.find("nosuch"), std::string::npos) << missing->body;
}

TEST_F(DashboardTest, UsageGivesADayAndUsageAllTheLastPoints) {
  add_job("idle", kIdle);
  add_job("down", kIdle);
  auto idle = write_script(s, "idle", kIdle);
  ASSERT_GT(start_job(s, idle), 0);
  auto day = s.request("USAGE", R"({"jobname":"idle"})");
  ASSERT_TRUE(ok(day)) << raw_of(day);
  const auto& d = day->data();
  EXPECT_EQ(d["step"].GetInt(), 60);
  int64_t end = d["end"].GetInt64();
  EXPECT_EQ(end % 60, 0);
  EXPECT_NEAR(double(end), double(time(nullptr)), 120.0);
  EXPECT_EQ(d["mem"].Size(), 1440u);
  EXPECT_EQ(d["cpu"].Size(), 1440u);
  auto recent = s.request("USAGEALL", R"({"points":5})");
  ASSERT_TRUE(ok(recent)) << raw_of(recent);
  ASSERT_TRUE(recent->data().IsObject());
  EXPECT_EQ(recent->data().MemberCount(), 2u);
  for (const char* job : {"idle", "down"}) {
    ASSERT_TRUE(recent->data().HasMember(job)) << recent->raw;
    EXPECT_EQ(recent->data()[job]["mem"].Size(), 5u) << job;
    EXPECT_EQ(recent->data()[job]["cpu"].Size(), 5u) << job;
  }
  auto by_default = s.request("USAGEALL");
  ASSERT_TRUE(ok(by_default));
  EXPECT_EQ(by_default->data()["idle"]["mem"].Size(), 30u);
  EXPECT_EQ(code_of(s.request("USAGEALL", R"({"points":0})")), "FAILED");
  EXPECT_EQ(code_of(s.request("USAGEALL", R"({"points":1441})")), "FAILED");
  EXPECT_EQ(code_of(s.request("USAGE", R"({"jobname":"nosuch"})")), "FAILED");
  // The listener samples every 10 s: the running job gets its memory.
  auto sampled = [&] {
    auto r = s.request("USAGE", R"({"jobname":"idle"})");
    if (!ok(r)) return false;
    for (const auto& v : r->data()["mem"].GetArray())
      if (v.IsNumber() && v.GetDouble() > 0) return true;
    return false;
  };
  EXPECT_TRUE(wait_until(sampled, 15000, 200)) << "no memory sample of a running job within 15 s";
  auto down = s.request("USAGE", R"({"jobname":"down"})");
  ASSERT_TRUE(ok(down));
  for (const auto& v : down->data()["mem"].GetArray()) EXPECT_TRUE(v.IsNull()) << "a job that never ran";
  // The page asks the same through its session.
  Web w = open_session();
  auto web = api("USAGEALL", R"({"points":5})", w.cookie, w.csrf);
  ASSERT_TRUE(web);
  EXPECT_EQ(web->status, 200);
  auto parsed = parse_reply(web->body);
  ASSERT_TRUE(parsed && parsed->ok()) << web->body;
  EXPECT_EQ(parsed->data()["idle"]["mem"].Size(), 5u);
}

TEST_F(DashboardTest, NextRunsListsTheRunsOfACronSchedule) {
  add_job("web", kIdle);
  auto added = s.request("SCHEDULER.ADD", R"({"jobname":"web","enable":true,"condition":{"cron":"*/5 * * * *"}})");
  ASSERT_TRUE(ok(added) && added->data().IsString()) << raw_of(added);
  std::string uuid = added->data().GetString();
  auto off = s.request("SCHEDULER.ADD", R"({"jobname":"web","enable":false,"condition":{"cron":"* * * * *"}})");
  ASSERT_TRUE(ok(off)) << raw_of(off);
  time_t before = time(nullptr);
  auto hour = s.request("SCHEDULER.NEXTRUNS", R"({"hours":1})");
  ASSERT_TRUE(ok(hour)) << raw_of(hour);
  const auto& runs = hour->data();
  ASSERT_TRUE(runs.IsArray());
  ASSERT_EQ(runs.Size(), 12u) << hour->raw;
  for (rapidjson::SizeType i = 0; i < runs.Size(); ++i) {
    EXPECT_EQ(str(runs[i], "jobname"), "web");
    EXPECT_EQ(str(runs[i], "uuid"), uuid) << "the disabled schedule has no runs";
    int64_t at = runs[i]["at"].GetInt64();
    if (i == 0) {
      EXPECT_GT(at, before - 1);
      EXPECT_LE(at, before + 301);
    } else {
      EXPECT_EQ(at - runs[i - 1]["at"].GetInt64(), 300) << i;
    }
  }
  auto day = s.request("SCHEDULER.NEXTRUNS");
  ASSERT_TRUE(ok(day));
  EXPECT_EQ(day->data().Size(), 288u) << "24 h unless told";
  EXPECT_EQ(code_of(s.request("SCHEDULER.NEXTRUNS", R"({"hours":0})")), "FAILED");
  EXPECT_EQ(code_of(s.request("SCHEDULER.NEXTRUNS", R"({"hours":169})")), "FAILED");
  ASSERT_TRUE(ok(s.request("SCHEDULER.DELETE", R"({"jobname":"web","uuid":")" + uuid + "\"}")));
  auto none = s.request("SCHEDULER.NEXTRUNS", R"({"hours":1})");
  ASSERT_TRUE(ok(none));
  EXPECT_EQ(none->data().Size(), 0u);
}

// ---- with auth on -------------------------------------------------------------

class DashboardAuthTest : public DashboardTest {
 protected:
  void SetUp() override {
    DashboardTest::SetUp();
    if (HasFatalFailure()) return;
    add_job("web", kIdle);
    ASSERT_TRUE(ok(s.request("AUTH.ADD", R"({"username":"admin","password":"admin-pw-1","privileges":"*"})")));
    ASSERT_TRUE(ok(
        s.request("AUTH.ADD", R"({"username":"viewer","password":"viewer-pw-1","privileges":"STATUSALL,READ"})")));
    ASSERT_TRUE(ok(s.request("AUTH.ADD", R"({"username":"lister","password":"lister-pw-1","privileges":"STATUSALL"})")));
    ASSERT_TRUE(ok(s.request("AUTH.SETENABLE", R"({"enable":true})")));
  }
  static std::string as_admin(const std::string& params) {
    return params.substr(0, params.size() - 1) + (params.size() > 2 ? "," : "") +
           R"("auth":{"username":"admin","password":"admin-pw-1"}})";
  }
};

TEST_F(DashboardAuthTest, ASessionAsksForALoginAndTheLoginGivesTheUsersPrivileges) {
  auto before = get("/ui/session");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  auto d = parse_json(before->body);
  ASSERT_TRUE(d && d->IsObject()) << before->body;
  EXPECT_TRUE((*d)["auth"].IsTrue()) << before->body;
  EXPECT_TRUE((*d)["user"].IsNull());
  EXPECT_TRUE((*d)["privileges"].IsNull());
  EXPECT_TRUE((*d)["csrf"].IsNull());
  EXPECT_EQ(before->header("set-cookie"), "") << "no session before a login";

  auto wrong = login("viewer", "nope");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 200);
  EXPECT_EQ(wrong->body, R"({"code":"DENIED","error":"wrong username or password"})");
  EXPECT_EQ(wrong->header("set-cookie"), "");
  auto nobody = login("nobody-here", "nope");
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->body, wrong->body) << "an unknown user gets the same sentence";
  auto empty = ui_post("/ui/login", "{}", {});
  ASSERT_TRUE(empty);
  EXPECT_NE(empty->body.find("FAILED"), std::string::npos) << empty->body;
  auto as_text = ui_post("/ui/login", R"({"username":"viewer","password":"viewer-pw-1"})", {}, "text/plain");
  ASSERT_TRUE(as_text);
  EXPECT_EQ(as_text->status, 415) << "a form of another site may post text/plain";
  auto by_get = get("/ui/login");
  ASSERT_TRUE(by_get);
  EXPECT_EQ(by_get->status, 405);

  auto right = login("viewer", "viewer-pw-1");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  auto r = parse_json(right->body);
  ASSERT_TRUE(r && str(*r, "code") == "OK") << right->body;
  const auto& data = (*r)["data"];
  EXPECT_EQ(str(data, "user"), "viewer");
  EXPECT_EQ(str(data, "privileges"), "STATUSALL,READ");
  EXPECT_TRUE(is_hex64(str(data, "csrf")));
  EXPECT_EQ(right->body.find("viewer-pw-1"), std::string::npos) << "the password never comes back";
  std::string set_cookie = right->header("set-cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
  Web w{cookie_of(*right), str(data, "csrf")};
  ASSERT_TRUE(is_hex64(w.cookie));

  auto after = get("/ui/session", cookie_header(w.cookie));
  ASSERT_TRUE(after);
  auto a = parse_json(after->body);
  ASSERT_TRUE(a) << after->body;
  EXPECT_TRUE((*a)["auth"].IsTrue());
  EXPECT_EQ(str(*a, "user"), "viewer");
  EXPECT_EQ(str(*a, "privileges"), "STATUSALL,READ");
  EXPECT_EQ(str(*a, "csrf"), w.csrf);

  // The server, not the page, decides: the session runs as its user.
  auto status = api("STATUSALL", "", w.cookie, w.csrf);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  EXPECT_EQ(code_of(parse_reply(status->body)), "OK") << status->body;
  auto stop = api("STOP", R"({"jobname":"web"})", w.cookie, w.csrf);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 200);
  auto refused = parse_reply(stop->body);
  EXPECT_EQ(code_of(refused), "DENIED") << stop->body;
  EXPECT_NE(stop->body.find("may not run STOP"), std::string::npos) << stop->body;
  auto no_token = api("STATUSALL", "", w.cookie, "");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);
  // Credentials in the body do not lift the session's user to another.
  auto smuggled = api("STOP", R"({"jobname":"web","auth":{"username":"viewer","password":"viewer-pw-1"}})", w.cookie,
                      w.csrf);
  ASSERT_TRUE(smuggled);
  EXPECT_EQ(code_of(parse_reply(smuggled->body)), "DENIED") << smuggled->body;
}

// A page asks /ui/session on every load; that it finds auth on is no failed
// login: nothing is counted in backend_auth_failures_total nor logged.
TEST_F(DashboardAuthTest, AskingWhetherALoginIsNeededIsNoAuthFailure) {
  auto failures = [&] {
    auto m = get("/metrics");
    if (!m) return std::string("no /metrics");
    auto at = m->body.find("\nbackend_auth_failures_total ");
    return at == std::string::npos ? std::string("none") : m->body.substr(at, m->body.find('\n', at + 1) - at);
  };
  std::string before = failures();
  ASSERT_NE(before.find("backend_auth_failures_total"), std::string::npos) << before;
  for (int i = 0; i < 3; ++i) {
    auto r = get("/ui/session");
    ASSERT_TRUE(r);
    EXPECT_NE(r->body.find("\"auth\":true"), std::string::npos) << r->body;
  }
  EXPECT_EQ(failures(), before);
  auto said = s.request("SERVERREAD", as_admin("{}"));
  ASSERT_TRUE(said);
  EXPECT_EQ(said->raw.find("DENIED"), std::string::npos) << said->raw;
}

TEST_F(DashboardAuthTest, LogoutNeedsTheTokenAndEndsTheSession) {
  Web w = log_in("viewer", "viewer-pw-1");
  ASSERT_TRUE(is_hex64(w.cookie));
  auto no_token = ui_post("/ui/logout", "", cookie_header(w.cookie));
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 403);
  auto wrong_token = ui_post("/ui/logout", "", cookie_header(w.cookie) + "X-CSRF-Token: " + std::string(64, 'f') + "\r\n");
  ASSERT_TRUE(wrong_token);
  EXPECT_EQ(wrong_token->status, 403);
  auto still = api("STATUSALL", "", w.cookie, w.csrf);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200) << "a refused logout leaves the session";
  auto out = ui_post("/ui/logout", "", cookie_header(w.cookie) + "X-CSRF-Token: " + w.csrf + "\r\n");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(out->body, R"({"code":"OK"})");
  EXPECT_NE(out->header("set-cookie").find("Max-Age=0"), std::string::npos) << out->header("set-cookie");
  auto gone = api("STATUSALL", "", w.cookie, w.csrf);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 401);
  EXPECT_EQ(gone->body, kEnded);
  auto session = get("/ui/session", cookie_header(w.cookie));
  ASSERT_TRUE(session);
  auto d = parse_json(session->body);
  ASSERT_TRUE(d);
  EXPECT_TRUE((*d)["user"].IsNull()) << session->body;
  auto stream = get("/ui/events", cookie_header(w.cookie));
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 401);
}

TEST_F(DashboardAuthTest, TheSixthFailedLoginInAMinuteIs429) {
  for (int i = 0; i < 5; ++i) {
    auto r = login("admin", "wrong-" + std::to_string(i));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_NE(r->body.find("DENIED"), std::string::npos) << i << ": " << r->body;
  }
  auto sixth = login("admin", "wrong-5");
  ASSERT_TRUE(sixth);
  EXPECT_EQ(sixth->status, 429);
  EXPECT_EQ(sixth->header("content-type"), "application/json");
  auto d = parse_json(sixth->body);
  ASSERT_TRUE(d) << sixth->body;
  EXPECT_EQ(str(*d, "code"), "DENIED");
  const std::string prefix = "too many failed logins from this address; try again in ";
  std::string error = str(*d, "error");
  ASSERT_EQ(error.rfind(prefix, 0), 0u) << error;
  int seconds = std::atoi(error.c_str() + prefix.size());
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 60);
  EXPECT_TRUE(error.ends_with(" s")) << error;
  auto right = login("admin", "admin-pw-1");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 429) << "not even the right password, until the minute is over";
  EXPECT_EQ(right->header("set-cookie"), "");
  // The API itself is not the login form: a client with credentials still works.
  EXPECT_TRUE(ok(s.request("STATUSALL", as_admin("{}"))));
}

TEST_F(DashboardAuthTest, ChangesThroughASessionAreLoggedWithTheUser) {
  Web w = log_in("admin", "admin-pw-1");
  ASSERT_TRUE(is_hex64(w.cookie));
  auto started = api("START", R"({"jobname":"web"})", w.cookie, w.csrf);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->body, R"({"code":"OK"})");
  ASSERT_TRUE(s.wait_for_log("(user \"admin\")")) << s.log_text();
  std::string log = s.log_text();
  bool found = false;
  for (size_t at = 0; at < log.size();) {
    size_t nl = log.find('\n', at);
    std::string line = log.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (line.find("START") != std::string::npos && line.find("\"web\"") != std::string::npos &&
        line.find(" (user \"admin\")") != std::string::npos)
      found = true;
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  EXPECT_TRUE(found) << log;
  EXPECT_EQ(log.find("admin-pw-1"), std::string::npos) << "a password is never logged";
  auto server = s.request("SERVERREAD", as_admin("{}"));
  ASSERT_TRUE(ok(server)) << raw_of(server);
  EXPECT_NE(server->raw.find("(user \\\"admin\\\")"), std::string::npos) << server->raw;
}

TEST_F(DashboardAuthTest, AStreamNeedsThePrivilegeOfWhatItFollows) {
  Web lister = log_in("lister", "lister-pw-1");
  ASSERT_TRUE(is_hex64(lister.cookie));
  auto job = get("/ui/events?job=web", cookie_header(lister.cookie));
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, 403);
  EXPECT_NE(job->body.find("may not run READ"), std::string::npos) << job->body;
  auto server = get("/ui/events?server=1", cookie_header(lister.cookie));
  ASSERT_TRUE(server);
  EXPECT_EQ(server->status, 403);
  StreamClient all;
  ASSERT_TRUE(all.open(s.http_port, events_request("", lister.cookie)));
  EXPECT_EQ(all.status, 200) << "STATUSALL is the lister's";
  EXPECT_TRUE(all.read_until([](const std::vector<Event>& ev) {
    for (const auto& e : ev)
      if (e.name == "jobs") return e.data.find("\"web\"") != std::string::npos;
    return false;
  }, 5000));
  Web viewer = log_in("viewer", "viewer-pw-1");
  StreamClient lines;
  ASSERT_TRUE(lines.open(s.http_port, events_request("?job=web", viewer.cookie)));
  EXPECT_EQ(lines.status, 200) << "the viewer may READ";
  EXPECT_TRUE(lines.read_until([](const std::vector<Event>& ev) {
    for (const auto& e : ev)
      if (e.name == "job") return true;
    return false;
  }, 5000));
}

TEST_F(DashboardTest, ASessionFromBeforeAuthCameOnGetsNothingAndIsEnded) {
  add_job("web", kIdle);
  Web w = open_session();
  ASSERT_TRUE(is_hex64(w.cookie));
  ASSERT_TRUE(ok(s.request("AUTH.ADD", R"({"username":"admin","password":"admin-pw-1","privileges":"*"})")));
  ASSERT_TRUE(ok(s.request("AUTH.SETENABLE", R"({"enable":true})")));
  // Its session has no user: the auth plugin judges it as a request without
  // credentials.
  auto status = api("STATUSALL", "", w.cookie, w.csrf);
  ASSERT_TRUE(status);
  EXPECT_EQ(code_of(parse_reply(status->body)), "DENIED") << status->body;
  auto start = api("START", R"({"jobname":"web"})", w.cookie, w.csrf);
  ASSERT_TRUE(start);
  EXPECT_EQ(code_of(parse_reply(start->body)), "DENIED") << start->body;
  // The page asks /ui/session, learns it must log in, and its session ends.
  auto session = get("/ui/session", cookie_header(w.cookie));
  ASSERT_TRUE(session);
  auto d = parse_json(session->body);
  ASSERT_TRUE(d) << session->body;
  EXPECT_TRUE((*d)["auth"].IsTrue());
  EXPECT_TRUE((*d)["user"].IsNull());
  EXPECT_TRUE((*d)["csrf"].IsNull());
  EXPECT_NE(session->header("set-cookie").find("Max-Age=0"), std::string::npos);
  auto after = api("STATUSALL", "", w.cookie, w.csrf);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
  ASSERT_TRUE(ok(s.request("AUTH.SETENABLE", R"({"enable":false,"auth":{"username":"admin","password":"admin-pw-1"}})")));
}

}  // namespace
}  // namespace itest
