#include "plugins/auth/auth_plugin.h"

#include <gtest/gtest.h>

#include "protocol/request.h"
#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::auth {
namespace {

class AuthPluginTest : public ::testing::Test {
 protected:
  AuthPluginTest() {
    uv_loop_init(&loop);
    start();
  }
  ~AuthPluginTest() override {
    uv_run(&loop, UV_RUN_DEFAULT);
    plugin.reset();
    EXPECT_EQ(uv_loop_close(&loop), 0);
  }

  // A fresh plugin on the same folder, as after a restart.
  void start() {
    uv_run(&loop, UV_RUN_DEFAULT);
    plugin = auth_plugin_info().make();
    rapidjson::Document none(rapidjson::kObjectType);
    ASSERT_FALSE(plugin->configure(none));
    host.loop = &loop;
    host.data_dir = dir.path;
    plugin->inited(host);
    uv_run(&loop, UV_RUN_DEFAULT);
  }

  // As the listener does it: auth first, then the command without "auth".
  // Commands that are not the plugin's stand for core commands: OK.
  Reply request(std::string_view command, const std::string& json = "{}") {
    rapidjson::Document params;
    params.Parse(json.c_str());
    EXPECT_TRUE(params.IsObject()) << json;
    Verdict verdict = plugin->received(command, params);
    if (verdict.later) {
      // New credentials are verified on the thread pool: the answer comes
      // from the loop.
      std::optional<std::optional<Reply>> decided;
      verdict.later([&](std::optional<Reply> refusal) { decided = std::move(refusal); });
      uv_run(&loop, UV_RUN_DEFAULT);
      EXPECT_TRUE(decided) << command << " never decided";
      if (decided) verdict.refusal = std::move(*decided);
    }
    if (verdict.refusal) return *verdict.refusal;
    protocol::take_auth(params);
    if (!command.starts_with("AUTH.")) return {};
    std::optional<Reply> reply;
    plugins::call(*plugin, auth_plugin_info(), command, params, [&](Reply r) {
      EXPECT_FALSE(reply) << "answered twice";
      reply = std::move(r);
    });
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_TRUE(reply) << command << " never answered";
    return reply.value_or(Reply{Code::kUnknown, {}, "no answer"});
  }

  static std::string as(const char* user, const char* password, std::string rest = "") {
    std::string json = "{\"auth\":{\"username\":\"" + std::string(user) +
                       "\",\"password\":\"" + password + "\"}";
    if (!rest.empty()) json += "," + rest;
    return json + "}";
  }

  // Auth on with an admin ("*") and an operator (START,STOP).
  void two_users() {
    ASSERT_EQ(request("AUTH.ADD",
                      R"({"username":"admin","password":"admin-pw","privileges":"*"})")
                  .code,
              Code::kOk);
    ASSERT_EQ(request("AUTH.ADD", R"({"username":"ops","password":"ops-pw",)"
                                  R"("privileges":" START , STOP ","email":"ops@example.org"})")
                  .code,
              Code::kOk);
    ASSERT_EQ(request("AUTH.SETENABLE", R"({"enable":"1"})").code, Code::kOk);
  }

  std::string users_file() const {
    std::string error;
    return worker::read_file(dir.path + "/users.json", error).value_or("");
  }

  uv_loop_t loop;
  backend::testing::TempDir dir;
  Host host;
  std::unique_ptr<Plugin> plugin;
};

TEST(AuthPluginInfo, DescribesTheListenerPluginAndItsCommands) {
  const PluginInfo& info = auth_plugin_info();
  EXPECT_EQ(info.name, "auth");
  EXPECT_EQ(info.side, Side::kListener);
  ASSERT_EQ(info.commands.size(), 7u);
  int changing = 0;
  for (const auto& c : info.commands) {
    EXPECT_TRUE(c.name.starts_with("AUTH.")) << c.name;
    EXPECT_TRUE(protocol::is_command_name(c.name)) << c.name;
    EXPECT_FALSE(c.needs_jobname) << c.name;
    changing += c.changes_state;
  }
  EXPECT_EQ(changing, 4);  // SETENABLE, ADD, DELETE, UPDATE
}

TEST_F(AuthPluginTest, ConfigureTakesNoSettings) {
  rapidjson::Document settings;
  settings.Parse(R"({"users_file":"x"})");
  auto error = plugin->configure(settings);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("\"users_file\""), std::string::npos) << *error;
}

// The slow hash never runs on the loop: new credentials are decided later,
// from the thread pool; the same credentials again are decided at once.
TEST_F(AuthPluginTest, NewCredentialsAreVerifiedOffTheLoopThenRemembered) {
  two_users();
  rapidjson::Document params;
  params.Parse(as("ops", "ops-pw").c_str());
  Verdict first = plugin->received("START", params);
  ASSERT_TRUE(first.later);
  EXPECT_FALSE(first.refusal);
  std::optional<std::optional<Reply>> decided;
  first.later([&](std::optional<Reply> refusal) { decided = std::move(refusal); });
  EXPECT_FALSE(decided) << "decided before the loop ran";
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_TRUE(decided);
  EXPECT_FALSE(*decided) << "the right password was refused";
  Verdict again = plugin->received("START", params);
  EXPECT_FALSE(again.later) << "the same credentials were hashed again";
  EXPECT_FALSE(again.refusal);
  Verdict outside = plugin->received("DELETE", params);
  EXPECT_FALSE(outside.later);
  ASSERT_TRUE(outside.refusal);
  EXPECT_EQ(outside.refusal->code, Code::kDenied);
}

// Requests that arrive together with the same new credentials all wait for
// one verification, and each gets its own verdict.
TEST_F(AuthPluginTest, ClientsArrivingTogetherShareOneVerification) {
  two_users();
  rapidjson::Document right, wrong;
  right.Parse(as("ops", "ops-pw").c_str());
  wrong.Parse(as("ops", "not-it").c_str());
  std::vector<std::optional<std::optional<Reply>>> decided(6);
  for (size_t i = 0; i < decided.size(); ++i) {
    Verdict v = plugin->received(i % 3 == 2 ? "DELETE" : "START", i % 2 ? wrong : right);
    ASSERT_TRUE(v.later) << i;
    v.later([&decided, i](std::optional<Reply> refusal) { decided[i] = std::move(refusal); });
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (size_t i = 0; i < decided.size(); ++i) {
    ASSERT_TRUE(decided[i]) << i << " never decided";
    bool admitted = !*decided[i];
    EXPECT_EQ(admitted, i % 2 == 0 && i % 3 != 2) << i;  // right password, and START
  }
}

TEST_F(AuthPluginTest, WithoutUsersEveryoneIsAdmittedEvenWhenEnabled) {
  EXPECT_EQ(request("STATUSALL").code, Code::kOk);
  Reply enabled = request("AUTH.GETENABLE");
  EXPECT_EQ(enabled.code, Code::kOk);
  EXPECT_EQ(enabled.data, "false");
  ASSERT_EQ(request("AUTH.SETENABLE", R"({"enable":true})").code, Code::kOk);
  EXPECT_EQ(request("AUTH.GETENABLE").data, "true");
  EXPECT_EQ(request("STATUSALL").code, Code::kOk);
  EXPECT_EQ(request("AUTH.GETALL").data, "{}");
}

TEST_F(AuthPluginTest, DeniesMissingWrongAndUnprivilegedCredentials) {
  two_users();
  Reply none = request("STATUSALL");
  EXPECT_EQ(none.code, Code::kDenied);
  EXPECT_FALSE(none.error.empty());
  EXPECT_EQ(request("STATUSALL", R"({"auth":"admin"})").code, Code::kDenied);
  EXPECT_EQ(request("STATUSALL", R"({"auth":{"username":"admin"}})").code, Code::kDenied);
  EXPECT_EQ(request("STATUSALL", as("admin", "wrong")).code, Code::kDenied);
  EXPECT_EQ(request("STATUSALL", as("nobody", "admin-pw")).code, Code::kDenied);
  EXPECT_EQ(request("NOSUCHCOMMAND").code, Code::kDenied);  // auth comes before UNKNOWN

  Reply outside = request("STATUSALL", as("ops", "ops-pw"));
  EXPECT_EQ(outside.code, Code::kDenied);
  EXPECT_NE(outside.error.find("STATUSALL"), std::string::npos) << outside.error;
  EXPECT_EQ(request("AUTH.ADD", as("ops", "ops-pw")).code, Code::kDenied);
  EXPECT_EQ(request("START", as("ops", "ops-pw", R"("jobname":"x")")).code, Code::kOk);
  EXPECT_EQ(request("STOP", as("ops", "ops-pw")).code, Code::kOk);

  EXPECT_EQ(request("STATUSALL", as("admin", "admin-pw")).code, Code::kOk);
  EXPECT_EQ(request("AUTH.GETENABLE", as("admin", "admin-pw")).data, "true");
}

TEST_F(AuthPluginTest, GetAndGetAllNeverHoldThePassword) {
  two_users();
  Reply one = request("AUTH.GET", as("admin", "admin-pw", R"("username":"ops")"));
  ASSERT_EQ(one.code, Code::kOk);
  EXPECT_EQ(one.data,
            R"({"username":"ops","privileges":"START,STOP","email":"ops@example.org"})");
  Reply all = request("AUTH.GETALL", as("admin", "admin-pw"));
  ASSERT_EQ(all.code, Code::kOk);
  for (const char* secret : {"ops-pw", "admin-pw", "argon2", "password"})
    EXPECT_EQ(all.data.find(secret), std::string::npos) << secret << " in " << all.data;
  EXPECT_NE(all.data.find(R"("admin":{"username":"admin","privileges":"*"})"), std::string::npos)
      << all.data;
  // Nor is any password in clear in the file.
  std::string file = users_file();
  EXPECT_EQ(file.find("ops-pw"), std::string::npos);
  EXPECT_EQ(file.find("admin-pw"), std::string::npos);
  EXPECT_NE(file.find("$argon2id$"), std::string::npos);
}

TEST_F(AuthPluginTest, UpdateReplacesThePasswordAndMergesKeys) {
  two_users();
  EXPECT_EQ(request("START", as("ops", "ops-pw")).code, Code::kOk);  // cached now
  ASSERT_EQ(request("AUTH.UPDATE", as("admin", "admin-pw",
                                      R"("username":"ops","password":"new-pw",)"
                                      R"("privileges":"START,STATUSALL","team":"night")"))
                .code,
            Code::kOk);
  EXPECT_EQ(request("START", as("ops", "ops-pw")).code, Code::kDenied);
  EXPECT_EQ(request("STATUSALL", as("ops", "new-pw")).code, Code::kOk);
  EXPECT_EQ(request("STOP", as("ops", "new-pw")).code, Code::kDenied);
  EXPECT_EQ(request("AUTH.GET", as("admin", "admin-pw", R"("username":"ops")")).data,
            R"({"username":"ops","privileges":"START,STATUSALL","email":"ops@example.org",)"
            R"("team":"night"})");
}

TEST_F(AuthPluginTest, DeletedUserIsDeniedAtOnce) {
  two_users();
  EXPECT_EQ(request("START", as("ops", "ops-pw")).code, Code::kOk);
  ASSERT_EQ(request("AUTH.DELETE", as("admin", "admin-pw", R"("username":"ops")")).code,
            Code::kOk);
  EXPECT_EQ(request("START", as("ops", "ops-pw")).code, Code::kDenied);
  // Re-added with another password: the old one must not come back.
  ASSERT_EQ(request("AUTH.ADD", as("admin", "admin-pw",
                                   R"("username":"ops","password":"other","privileges":"*")"))
                .code,
            Code::kOk);
  EXPECT_EQ(request("START", as("ops", "ops-pw")).code, Code::kDenied);
  EXPECT_EQ(request("START", as("ops", "other")).code, Code::kOk);
}

TEST_F(AuthPluginTest, TurningAuthOffAdmitsEveryoneAgain) {
  two_users();
  EXPECT_EQ(request("STATUSALL").code, Code::kDenied);
  ASSERT_EQ(request("AUTH.SETENABLE", as("admin", "admin-pw", R"("enable":0)")).code, Code::kOk);
  EXPECT_EQ(request("STATUSALL").code, Code::kOk);
  EXPECT_EQ(request("AUTH.ADD", R"({"username":"x","password":"y","privileges":"*"})").code,
            Code::kOk);
}

TEST_F(AuthPluginTest, EnableAndUsersSurviveARestart) {
  two_users();
  start();
  EXPECT_EQ(request("STATUSALL").code, Code::kDenied);
  EXPECT_EQ(request("AUTH.GETENABLE", as("admin", "admin-pw")).data, "true");
  EXPECT_EQ(request("START", as("ops", "ops-pw")).code, Code::kOk);
  ASSERT_EQ(request("AUTH.SETENABLE", as("admin", "admin-pw", R"("enable":"")")).code, Code::kOk);
  start();
  EXPECT_EQ(request("AUTH.GETENABLE").data, "false");
}

TEST_F(AuthPluginTest, RefusesBadCommandsWithASentence) {
  two_users();
  auto admin = [&](const char* command, const char* rest) {
    return request(command, as("admin", "admin-pw", rest));
  };
  struct Case {
    const char* command;
    const char* rest;
    const char* says;
  };
  const Case cases[] = {
      {"AUTH.ADD", R"("username":"ops","password":"p","privileges":"*")", "already exists"},
      {"AUTH.ADD", R"("username":"new","privileges":"*")", "password"},
      {"AUTH.ADD", R"("username":"new","password":"p","privileges":"BAD NAME")", "BAD NAME"},
      {"AUTH.ADD", R"("username":"new","password":"p","privileges":5)", "privileges"},
      {"AUTH.DELETE", R"("username":"ghost")", "does not exist"},
      {"AUTH.DELETE", R"("x":1)", "username"},
      {"AUTH.UPDATE", R"("username":"ghost","password":"p")", "does not exist"},
      {"AUTH.UPDATE", R"("username":"ops","password":"")", "password"},
      {"AUTH.GET", R"("username":"ghost")", "does not exist"},
      {"AUTH.SETENABLE", R"("enable":"yes")", "enable"},
      {"AUTH.SETENABLE", R"("x":1)", "enable"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.command) + " " + c.rest);
    Reply r = admin(c.command, c.rest);
    EXPECT_EQ(r.code, Code::kFailed);
    EXPECT_NE(r.error.find(c.says), std::string::npos) << r.error;
  }
  EXPECT_EQ(request("START", as("ops", "ops-pw")).code, Code::kOk);  // nothing changed
}

TEST_F(AuthPluginTest, ConvertsTheOriginalsPlaintextFileOnLoad) {
  ASSERT_FALSE(worker::replace_file(
      dir.path + "/users.json",
      R"({"enable":true,"users":{"old":{"password":"clear-pw","privileges":"STATUSALL"}}})"));
  start();
  EXPECT_EQ(users_file().find("clear-pw"), std::string::npos) << users_file();
  EXPECT_EQ(request("STATUSALL", as("old", "clear-pw")).code, Code::kOk);
  EXPECT_EQ(request("STATUSALL", as("old", "wrong")).code, Code::kDenied);
}

TEST_F(AuthPluginTest, ABrokenUserFileRefusesEveryone) {
  ASSERT_FALSE(worker::replace_file(dir.path + "/users.json", "{broken"));
  start();
  Reply r = request("STATUSALL");
  EXPECT_EQ(r.code, Code::kDenied);
  EXPECT_NE(r.error.find("users.json"), std::string::npos) << r.error;
}

TEST_F(AuthPluginTest, EnabledWithUsersReadsTheFileWithoutALoop) {
  std::string error;
  EXPECT_EQ(AuthPlugin::enabled_with_users(dir.path, error), false);  // no file
  ASSERT_EQ(request("AUTH.SETENABLE", R"({"enable":1})").code, Code::kOk);
  EXPECT_EQ(AuthPlugin::enabled_with_users(dir.path, error), false);  // no user yet
  ASSERT_EQ(request("AUTH.ADD", R"({"username":"a","password":"p","privileges":"*"})").code,
            Code::kOk);
  EXPECT_EQ(AuthPlugin::enabled_with_users(dir.path, error), true);
  ASSERT_EQ(request("AUTH.SETENABLE", as("a", "p", R"("enable":false)")).code, Code::kOk);
  EXPECT_EQ(AuthPlugin::enabled_with_users(dir.path, error), false);  // a user, auth off
  ASSERT_FALSE(worker::replace_file(dir.path + "/users.json", "[]"));
  EXPECT_FALSE(AuthPlugin::enabled_with_users(dir.path, error).has_value());
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace backend::plugins::auth
