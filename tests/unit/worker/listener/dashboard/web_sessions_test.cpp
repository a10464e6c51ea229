#include "worker/listener/dashboard/web_sessions.h"

#include <sodium.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace backend::worker::dashboard {
namespace {

class WebSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }

  static bool is_hex64(const std::string& s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
  }
};

TEST_F(WebSessionsTest, IdsAndTokensAreRandomHexAndAllDistinct) {
  WebSessions sessions;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const WebSession& s = sessions.open("u" + std::to_string(i), "pw", "*", 1000);
    EXPECT_TRUE(is_hex64(s.id)) << s.id;
    EXPECT_TRUE(is_hex64(s.csrf)) << s.csrf;
    EXPECT_NE(s.id, s.csrf);
    EXPECT_TRUE(seen.insert(s.id).second) << "an id came twice: " << s.id;
    EXPECT_TRUE(seen.insert(s.csrf).second) << "a token came twice: " << s.csrf;
  }
  EXPECT_EQ(sessions.size(), 200u);
}

TEST_F(WebSessionsTest, OpenKeepsWhatItWasGiven) {
  WebSessions sessions;
  std::string id = sessions.open("alice", "secret", "START,STOP", 42).id;
  WebSession* s = sessions.find(id, 43);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id, id);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->password, "secret");
  EXPECT_EQ(s->privileges, "START,STOP");
  EXPECT_EQ(s->last_used_ms, 43u) << "find touches the session";
}

TEST_F(WebSessionsTest, FindTouchesSoActiveSessionsOutliveTheIdleTime) {
  WebSessions sessions;
  const uint64_t t0 = 5'000'000;
  std::string id = sessions.open("", "", "*", t0).id;
  // Used every half idle time for four idle times: never expires.
  for (uint64_t t = t0; t <= t0 + 4 * WebSessions::kIdleMs; t += WebSessions::kIdleMs / 2) {
    WebSession* s = sessions.find(id, t);
    ASSERT_NE(s, nullptr) << "at " << (t - t0) << " ms";
    EXPECT_EQ(s->last_used_ms, t);
  }
}

TEST_F(WebSessionsTest, ASessionIdleForLongerThanKIdleMsIsGone) {
  WebSessions sessions;
  const uint64_t t0 = 1'000;
  std::string a = sessions.open("", "", "*", t0).id;
  std::string b = sessions.open("", "", "*", t0).id;
  EXPECT_NE(sessions.find(a, t0 + WebSessions::kIdleMs), nullptr) << "exactly the idle time is still alive";
  // b, untouched since t0, is one millisecond too old.
  EXPECT_EQ(sessions.find(b, t0 + WebSessions::kIdleMs + 1), nullptr);
  EXPECT_EQ(sessions.size(), 1u) << "an expired session is dropped when found";
  // Even going back in time does not bring it back.
  EXPECT_EQ(sessions.find(b, t0), nullptr);
  EXPECT_NE(sessions.find(a, t0 + WebSessions::kIdleMs + 1), nullptr) << "a was touched at kIdleMs";
}

TEST_F(WebSessionsTest, UnknownEmptyAndEndedIdsFindNothing) {
  WebSessions sessions;
  std::string id = sessions.open("", "", "*", 1).id;
  EXPECT_EQ(sessions.find("", 2), nullptr);
  EXPECT_EQ(sessions.find(std::string(64, '0'), 2), nullptr);
  EXPECT_EQ(sessions.find(id.substr(0, 63), 2), nullptr);
  EXPECT_NE(sessions.find(id, 2), nullptr);
  sessions.end(id);
  EXPECT_EQ(sessions.find(id, 3), nullptr);
  EXPECT_EQ(sessions.size(), 0u);
  sessions.end(id);  // twice is harmless
  sessions.end("nosuch");
  EXPECT_EQ(sessions.size(), 0u);
}

TEST_F(WebSessionsTest, AtCapacityTheLeastRecentlyUsedGoes) {
  WebSessions sessions(3);
  std::string a = sessions.open("a", "", "*", 10).id;
  std::string b = sessions.open("b", "", "*", 20).id;
  std::string c = sessions.open("c", "", "*", 30).id;
  ASSERT_NE(sessions.find(a, 40), nullptr);  // a is now the most recent
  std::string d = sessions.open("d", "", "*", 50).id;
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions.find(b, 60), nullptr) << "b was the least recently used";
  EXPECT_NE(sessions.find(a, 60), nullptr);
  EXPECT_NE(sessions.find(c, 60), nullptr);
  EXPECT_NE(sessions.find(d, 60), nullptr);
  // Now c (60) ties with a and d (60)... touch a and d later so c goes next.
  sessions.find(a, 70);
  sessions.find(d, 70);
  std::string e = sessions.open("e", "", "*", 80).id;
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions.find(c, 90), nullptr);
  EXPECT_NE(sessions.find(e, 90), nullptr);
}

TEST_F(WebSessionsTest, CapacityOneKeepsOnlyTheNewest) {
  WebSessions sessions(1);
  std::string a = sessions.open("a", "", "*", 1).id;
  std::string b = sessions.open("b", "", "*", 2).id;
  EXPECT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions.find(a, 3), nullptr);
  ASSERT_NE(sessions.find(b, 3), nullptr);
  EXPECT_EQ(sessions.find(b, 3)->user, "b");
}

TEST_F(WebSessionsTest, TokenMatchesOnlyTheWholeToken) {
  WebSessions sessions;
  const WebSession& s = sessions.open("", "", "*", 1);
  std::string token = s.csrf;
  EXPECT_TRUE(WebSessions::token_matches(s, token));
  EXPECT_FALSE(WebSessions::token_matches(s, ""));
  EXPECT_FALSE(WebSessions::token_matches(s, token.substr(0, token.size() - 1)));
  EXPECT_FALSE(WebSessions::token_matches(s, token.substr(0, 1)));
  EXPECT_FALSE(WebSessions::token_matches(s, token + "0"));
  std::string wrong = token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(WebSessions::token_matches(s, wrong));
  EXPECT_FALSE(WebSessions::token_matches(s, s.id)) << "the cookie's value is not the token";
  const WebSession& other = sessions.open("", "", "*", 1);
  EXPECT_FALSE(WebSessions::token_matches(other, token)) << "one session's token is not another's";
}

TEST_F(WebSessionsTest, CookieValueIsFoundAmongOthersAndTrimmed) {
  EXPECT_EQ(WebSessions::cookie_value("backend_session=abc"), "abc");
  EXPECT_EQ(WebSessions::cookie_value("a=1; backend_session=xyz; b=2"), "xyz");
  EXPECT_EQ(WebSessions::cookie_value("a=1;backend_session=xyz"), "xyz");
  EXPECT_EQ(WebSessions::cookie_value("  a=1 ;   backend_session = xyz  ;b=2"), "xyz");
  EXPECT_EQ(WebSessions::cookie_value("\tbackend_session=tab\t"), "tab");
  EXPECT_EQ(WebSessions::cookie_value("theme=dark; lang=zh; backend_session=last"), "last");
  EXPECT_EQ(WebSessions::cookie_value("backend_session=first; backend_session=second"), "first");
  EXPECT_EQ(WebSessions::cookie_value("backend_session=a=b"), "a=b") << "only the first '=' splits";
}

TEST_F(WebSessionsTest, CookieValueIgnoresLookalikesAndGarbage) {
  EXPECT_EQ(WebSessions::cookie_value(""), "");
  EXPECT_EQ(WebSessions::cookie_value(";;;"), "");
  EXPECT_EQ(WebSessions::cookie_value("backend_session"), "");
  EXPECT_EQ(WebSessions::cookie_value("x_backend_session=1"), "");
  EXPECT_EQ(WebSessions::cookie_value("backend_sessionx=1"), "");
  EXPECT_EQ(WebSessions::cookie_value("Backend_Session=1"), "") << "cookie names are case-sensitive";
  EXPECT_EQ(WebSessions::cookie_value("other=backend_session=1"), "");
  EXPECT_EQ(WebSessions::cookie_value("a=1; b=2"), "");
  EXPECT_EQ(WebSessions::cookie_value("backend_session="), "");
}

TEST_F(WebSessionsTest, SetCookieIsHttpOnlyStrictAndEndsWithMaxAgeZero) {
  std::string give = WebSessions::set_cookie("abc123");
  EXPECT_EQ(give, "Set-Cookie: backend_session=abc123; Path=/; HttpOnly; SameSite=Strict\r\n");
  EXPECT_EQ(give.find("Max-Age"), std::string::npos) << "a session cookie, gone with the browser";
  EXPECT_EQ(give.find("Secure"), std::string::npos) << "the face is plain HTTP";
  std::string take = WebSessions::set_cookie("");
  EXPECT_EQ(take, "Set-Cookie: backend_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n");
  // What the header gives, cookie_value reads back.
  std::string value = give.substr(std::string("Set-Cookie: ").size());
  EXPECT_EQ(WebSessions::cookie_value(value.substr(0, value.find("\r\n"))), "abc123");
}

TEST_F(WebSessionsTest, EndedSessionsFreeTheirPlaceForNewOnes) {
  WebSessions sessions(2);
  std::string a = sessions.open("a", "", "*", 1).id;
  std::string b = sessions.open("b", "", "*", 2).id;
  sessions.end(b);
  std::string c = sessions.open("c", "", "*", 3).id;
  EXPECT_EQ(sessions.size(), 2u);
  EXPECT_NE(sessions.find(a, 4), nullptr) << "no session had to go: one place was free";
  EXPECT_NE(sessions.find(c, 4), nullptr);
}

}  // namespace
}  // namespace backend::worker::dashboard
