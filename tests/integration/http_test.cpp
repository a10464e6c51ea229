// The HTTP face (PROTOCOL.md, "The HTTP face"): the API as POST
// /api/COMMAND through the same router, /healthz, and what it refuses.
#include <sys/wait.h>

#include <csignal>

#include <gtest/gtest.h>

#include "tests/support/job_script.h"
#include "tests/support/server_fixture.h"

namespace itest {
namespace {

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(s.start()); }

  std::optional<HttpReply> post(std::string_view command, std::string_view params = {},
                                std::string_view headers = {}) {
    return http_exchange(s.http_port, http_post(s.http_port, command, params, headers));
  }
  // A request line and headers as given, with the right Host unless given.
  std::optional<HttpReply> send(std::string_view request) { return http_exchange(s.http_port, request); }
  std::string host() const { return "Host: 127.0.0.1:" + std::to_string(s.http_port) + "\r\n"; }

  Server s;
};

TEST_F(HttpTest, TheApiAnswersWhatTheSocketAnswersByteForByte) {
  auto j = write_script(s, "web", std::string(kIdle));
  auto added = post("ADD", R"({"jobname":"web","command":")" + j.path + R"("})");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 200);
  EXPECT_EQ(added->header("content-type"), "application/json");
  EXPECT_EQ(added->body, R"({"code":"OK"})");
  for (const char* command : {"GET", "STATUS", "READ"}) {
    auto http = post(command, R"({"jobname":"web"})");
    auto socket = s.request(command, R"({"jobname":"web"})");
    ASSERT_TRUE(http && socket) << command;
    EXPECT_EQ(http->body, socket->raw) << command;
  }
  // Every protocol code is HTTP 200: the code is in the body.
  auto unknown = post("NOSUCH");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 200);
  EXPECT_EQ(unknown->body, s.request("NOSUCH")->raw);
  auto failed = post("START", R"({"jobname":"nosuch"})");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 200);
  EXPECT_EQ(failed->body, R"({"code":"FAILED","error":"job \"nosuch\" does not exist"})");
  auto broken = post("STATUS", "{");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->body, R"({"code":"FAILED","error":"params decode failed"})");
  // Plugin commands too, and an empty body is no params.
  auto schedules = post("SCHEDULER.GETALL");
  ASSERT_TRUE(schedules);
  EXPECT_EQ(schedules->body, R"({"code":"OK","data":{}})");
  ASSERT_TRUE(ok(s.request("DELETE", R"({"jobname":"web"})")));
}

TEST_F(HttpTest, OneConnectionCarriesManyRequestsInOrder) {
  WireClient c;
  ASSERT_TRUE(c.connect(s.http_port));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.send_raw(http_post(s.http_port, i == 1 ? "GETALL" : "STATUSALL")));
  for (int i = 0; i < 3; ++i) {
    HttpReply r;
    ASSERT_EQ(c.read_http(r), WireClient::Status::kOk) << i;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, s.request(i == 1 ? "GETALL" : "STATUSALL")->raw) << i;
    EXPECT_EQ(r.header("connection"), "");
  }
  // Connection: close is answered, then the connection ends.
  ASSERT_TRUE(c.send_raw(http_post(s.http_port, "STATUSALL", {}, "Connection: close\r\n")));
  HttpReply r;
  ASSERT_EQ(c.read_http(r), WireClient::Status::kOk);
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(2000));
}

TEST_F(HttpTest, EveryResponseCarriesTheSecureHeaders) {
  for (auto reply : {post("STATUSALL"), send("GET /nosuch HTTP/1.1\r\n" + host() + "\r\n")}) {
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->header("x-content-type-options"), "nosniff");
    EXPECT_EQ(reply->header("cache-control"), "no-store");
    EXPECT_NE(reply->header("content-security-policy").find("default-src 'none'"), std::string::npos);
    EXPECT_NE(reply->header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(reply->header("referrer-policy"), "no-referrer");
  }
}

TEST_F(HttpTest, WrongPathsMethodsAndTypesAreRefusedAsHttpSays) {
  auto missing = send("GET /nosuch HTTP/1.1\r\n" + host() + "\r\n");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto get_api = send("GET /api/STATUSALL HTTP/1.1\r\n" + host() + "\r\n");
  ASSERT_TRUE(get_api);
  EXPECT_EQ(get_api->status, 405);
  EXPECT_EQ(get_api->header("allow"), "POST");
  auto post_health = send("POST /healthz HTTP/1.1\r\n" + host() + "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(post_health);
  EXPECT_EQ(post_health->status, 405);
  EXPECT_EQ(post_health->header("allow"), "GET");
  // A form or plain text is what a page of another site may post without
  // asking first: refused.
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""}) {
    std::string headers = *type ? "Content-Type: " + std::string(type) + "\r\n" : "";
    auto r = send("POST /api/STATUSALL HTTP/1.1\r\n" + host() + headers + "Content-Length: 2\r\n\r\n{}");
    ASSERT_TRUE(r) << type;
    EXPECT_EQ(r->status, 415) << type;
  }
  auto with_charset = send("POST /api/STATUSALL HTTP/1.1\r\n" + host() +
                           "Content-Type: Application/JSON; charset=utf-8\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(with_charset);
  EXPECT_EQ(with_charset->status, 200);
}

TEST_F(HttpTest, AForeignHostOrOriginIsRefusedAuthOrNot) {
  std::string port = std::to_string(s.http_port);
  auto as = [&](const std::string& headers) {
    return send("POST /api/STATUSALL HTTP/1.1\r\n" + headers + "Content-Type: application/json\r\n"
                "Content-Length: 0\r\n\r\n");
  };
  // DNS rebinding: a name of the attacker's that resolves to 127.0.0.1.
  for (std::string bad : std::vector<std::string>{"Host: evil.example:" + port + "\r\n", "Host: 127.0.0.1:1\r\n",
                                                  "Host: 127.0.0.1\r\n", ""}) {
    auto r = as(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 403) << bad;
  }
  auto by_name = as("Host: localhost:" + port + "\r\n");  // in http_hosts by default
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->status, 200);
  // A page of another site posting to us.
  for (std::string bad : {"Origin: http://evil.example\r\n", "Origin: null\r\n", "Origin: http://127.0.0.1:1\r\n"}) {
    auto r = as(host() + bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 403) << bad;
  }
  auto same_origin = as(host() + "Origin: http://127.0.0.1:" + port + "\r\n");
  ASSERT_TRUE(same_origin);
  EXPECT_EQ(same_origin->status, 200);
}

TEST_F(HttpTest, BadInputGetsItsStatusAndNothingStoredIsLost) {
  ASSERT_TRUE(ok(s.request("ADD", R"({"jobname":"kept","command":"/bin/true"})")));
  auto big_header = send("GET /healthz HTTP/1.1\r\n" + host() + "X-Big: " + std::string(17 * 1024, 'x') + "\r\n\r\n");
  ASSERT_TRUE(big_header);
  EXPECT_EQ(big_header->status, 431);
  auto big_body = send("POST /api/ADD HTTP/1.1\r\n" + host() + "Content-Type: application/json\r\nContent-Length: " +
                       std::to_string(64u << 20) + "\r\n\r\n{");
  ASSERT_TRUE(big_body);
  EXPECT_EQ(big_body->status, 413);
  auto smuggled = send("POST /api/DELETE HTTP/1.1\r\n" + host() +
                       "Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "0\r\n\r\n");
  ASSERT_TRUE(smuggled);
  EXPECT_EQ(smuggled->status, 400);
  EXPECT_EQ(smuggled->header("connection"), "close");
  auto tls = send("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->status, 400);
  EXPECT_TRUE(ok(s.request("GET", R"({"jobname":"kept"})"))) << "the job is still there";
  EXPECT_TRUE(post("STATUSALL")) << "the face still serves";
}

TEST_F(HttpTest, ASlowSenderIsCutByTheIdleTimeout) {
  s.set("idle_timeout", "1");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("config reloaded"));
  // The master logs the reload once it has signalled the workers; the
  // listener takes it in on its loop, a moment later (a clean-clone CI run
  // under load connected first and got the old idle time). A request
  // answered after the log line was answered in a loop turn that had the
  // signal waiting: the connection made after it gets the new idle time.
  ASSERT_TRUE(post("STATUSALL"));
  WireClient c;
  ASSERT_TRUE(c.connect(s.http_port));
  ASSERT_TRUE(c.send_raw("POST /api/STATUSALL HTTP/1.1\r\n"));
  int64_t started = now_ms();
  for (int i = 0; i < 30 && c.send_raw("X: y\r\n"); ++i) usleep(100 * 1000);  // a header line every 0.1 s
  EXPECT_TRUE(c.wait_closed(3000));
  EXPECT_LT(now_ms() - started, 3500) << "a request trickling in was not cut within its idle time";
}

TEST_F(HttpTest, HealthzSaysWhetherBothWorkersServe) {
  auto healthy = send("GET /healthz HTTP/1.1\r\n" + host() + "\r\n");
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(healthy->body, "ok\n");
  pid_t supervisor = s.supervisor_pid();
  ASSERT_GT(supervisor, 0);
  ASSERT_EQ(kill(supervisor, SIGSTOP), 0);
  int64_t asked = now_ms();
  auto stuck = http_exchange(s.http_port, "GET /healthz HTTP/1.1\r\n" + host() + "\r\n", 4000);
  kill(supervisor, SIGCONT);
  ASSERT_TRUE(stuck);
  EXPECT_EQ(stuck->status, 503);
  EXPECT_NE(stuck->body.find("did not answer"), std::string::npos) << stuck->body;
  EXPECT_LT(now_ms() - asked, 2500);
  // Killed, it is started again at once: healthy again with the new one.
  ASSERT_EQ(kill(supervisor, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] {
    pid_t now = s.supervisor_pid();
    auto r = send("GET /healthz HTTP/1.1\r\n" + host() + "\r\n");
    return now > 0 && now != supervisor && r && r->status == 200;
  }, 5000)) << "healthz never came back to 200 once the supervisor was started again";
  // With the master held, a dead supervisor stays dead: 503 at once.
  supervisor = s.supervisor_pid();
  ASSERT_EQ(kill(s.master_pid(), SIGSTOP), 0);
  ASSERT_EQ(kill(supervisor, SIGKILL), 0);
  std::optional<HttpReply> dead;
  bool seen = wait_until([&] {
    dead = send("GET /healthz HTTP/1.1\r\n" + host() + "\r\n");
    return dead && dead->status == 503 && dead->body.find("the supervisor is not running") != std::string::npos;
  }, 4000);
  kill(s.master_pid(), SIGCONT);
  ASSERT_TRUE(seen) << (dead ? dead->body : "no reply");
  EXPECT_TRUE(wait_until([&] {
    auto r = send("GET /healthz HTTP/1.1\r\n" + host() + "\r\n");
    return r && r->status == 200;
  }, 5000));
}

TEST_F(HttpTest, BasicCredentialsWorkAsAuthInTheBodyAndWinOverIt) {
  ASSERT_TRUE(ok(s.request("AUTH.ADD", R"({"username":"admin","password":"secret","privileges":"*"})")));
  ASSERT_TRUE(ok(s.request("AUTH.SETENABLE", R"({"enable":true})")));
  auto as = [&](std::string_view params, std::string_view headers) {
    auto r = post("STATUSALL", params, headers);
    return r ? r->body : "<no reply>";
  };
  const std::string basic_ok = "Authorization: Basic YWRtaW46c2VjcmV0\r\n";    // admin:secret
  const std::string basic_bad = "Authorization: Basic YWRtaW46d3Jvbmc=\r\n";  // admin:wrong
  const std::string body_ok = R"({"auth":{"username":"admin","password":"secret"}})";
  EXPECT_NE(as({}, {}).find("DENIED"), std::string::npos);
  EXPECT_NE(as({}, basic_ok).find("\"OK\""), std::string::npos);
  EXPECT_NE(as(body_ok, {}).find("\"OK\""), std::string::npos);
  EXPECT_NE(as({}, basic_bad).find("DENIED"), std::string::npos);
  EXPECT_NE(as(body_ok, basic_bad).find("DENIED"), std::string::npos) << "Basic wins over the body";
  auto malformed = post("STATUSALL", {}, "Authorization: Basic !!!\r\n");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  ASSERT_TRUE(ok(s.request("AUTH.SETENABLE", R"({"enable":false,"auth":{"username":"admin","password":"secret"}})")));
}

TEST(HttpFace, OffWithAnEmptyHttpListenAndMovedOnSighup) {
  Server s;
  s.set("http_listen", "\"\"");
  ASSERT_TRUE(s.start());
  EXPECT_FALSE(port_accepts(s.http_port)) << "http_listen \"\" serves no HTTP face";
  s.set("http_listen", "\"127.0.0.1:" + std::to_string(s.http_port) + "\"");
  s.write_config();
  s.signal(SIGHUP);
  ASSERT_TRUE(s.wait_for_log("now HTTP on 127.0.0.1:" + std::to_string(s.http_port))) << s.log_text();
  ASSERT_TRUE(wait_until([&] {
    auto r = http_exchange(s.http_port, http_post(s.http_port, "STATUSALL"), 500);
    return r && r->status == 200;
  }, 5000));
  EXPECT_TRUE(ok(s.request("STATUSALL"))) << "the socket protocol still serves";
}

}  // namespace
}  // namespace itest
