#include "conf/config.h"

#include <gtest/gtest.h>

namespace backend::conf {
namespace {

std::optional<std::string> parse(const std::string& text, Config& c) { return parse_config(text, "/etc/bs", c); }

TEST(Config, TheShippedFileLoadsWithItsDocumentedDefaults) {
  Config c;
  auto err = load_config(BACKEND_DEFAULT_CONFIG, {}, c);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 13123);
  EXPECT_EQ(c.data_dir, std::string(BACKEND_SOURCE_DIR) + "/conf/../run/data");
  EXPECT_EQ(c.pidfile, c.data_dir + "/backend-server.pid");
  EXPECT_EQ(c.shm_name, "backend-server-127.0.0.1-13123");
  EXPECT_EQ(c.job_capacity, 1024u);
  EXPECT_EQ(c.max_frame_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(c.idle_timeout, 60u);
}

TEST(Config, CommentsAndTrailingCommasAreAllowed) {
  Config c;
  EXPECT_FALSE(parse("// a comment\n{ /* here */ \"data_dir\": \"d\", \"listen\": \"0.0.0.0:80\", }", c));
  EXPECT_EQ(c.data_dir, "/etc/bs/d");
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 80);
}

TEST(Config, AnUnknownKeyIsNamed) {
  Config c;
  auto err = parse(R"({"data_dir": "/d", "listne": "x"})", c);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("\"listne\""), std::string::npos) << *err;
}

TEST(Config, AWrongTypeIsNamed) {
  struct Case {
    const char* text;
    const char* key;
  } cases[] = {
      {R"({"data_dir": 5})", "data_dir"},
      {R"({"data_dir": "/d", "job_capacity": "1024"})", "job_capacity"},
      {R"({"data_dir": "/d", "job_capacity": 0})", "job_capacity"},
      {R"({"data_dir": "/d", "idle_timeout": 1.5})", "idle_timeout"},
      {R"({"data_dir": "/d", "listen": "nohost"})", "listen"},
      {R"({"data_dir": "/d", "listen": "h:99999"})", "listen"},
      {R"({"data_dir": "/d", "log_level": "loud"})", "log_level"},
      {R"({"data_dir": "/d", "log_queries": "yes"})", "log_queries"},
  };
  for (const auto& k : cases) {
    Config c;
    auto err = parse(k.text, c);
    ASSERT_TRUE(err) << k.text;
    EXPECT_NE(err->find(std::string("\"") + k.key + "\""), std::string::npos) << *err;
  }
}

TEST(Config, BrokenJsonSaysWhere) {
  Config c;
  auto err = parse("{\"data_dir\": ", c);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("byte"), std::string::npos) << *err;
  EXPECT_TRUE(parse("[1,2]", c));
  EXPECT_TRUE(parse("{}", c));  // data_dir is required
}

TEST(Config, OverridesWinAndDeriveTheSegmentName) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", c));
  Overrides o;
  o.listen = "127.0.0.1:2000";
  o.data_dir = "/elsewhere";
  ASSERT_FALSE(finish_config(o, c));
  EXPECT_EQ(c.listen_port, 2000);
  EXPECT_EQ(c.data_dir, "/elsewhere");
  EXPECT_EQ(c.pidfile, "/elsewhere/backend-server.pid");
  EXPECT_EQ(c.shm_name, "backend-server-127.0.0.1-2000");
  Overrides bad;
  bad.listen = "nonsense";
  EXPECT_TRUE(finish_config(bad, c));
}

TEST(Config, TheHttpFaceListensWhereHttpListenSaysOrNowhere) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", c));
  EXPECT_EQ(http_listen_of(c), "127.0.0.1:13124");
  EXPECT_EQ(c.http_hosts, std::vector<std::string>{"localhost"});
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "http_listen": "[::1]:8080", "http_hosts": ["a.example", "b"]})", c));
  EXPECT_EQ(c.http_host, "::1");
  EXPECT_EQ(c.http_port, 8080);
  Config back;
  ASSERT_FALSE(parse_config(config_to_json(c), "", back));
  EXPECT_EQ(http_listen_of(back), "[::1]:8080");
  EXPECT_EQ(back.http_hosts, (std::vector<std::string>{"a.example", "b"}));
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "http_listen": ""})", c));
  EXPECT_EQ(c.http_port, 0);
  EXPECT_EQ(http_listen_of(c), "");
  for (const char* bad : {R"("x")", R"("a:0")", "8080", R"([1])"}) {
    auto err = parse(std::string(R"({"data_dir": "/d", "http_listen": )") + bad + "}", c);
    ASSERT_TRUE(err) << bad;
    EXPECT_NE(err->find("http_listen"), std::string::npos) << *err;
  }
  EXPECT_TRUE(parse(R"({"data_dir": "/d", "http_hosts": "a"})", c));
  EXPECT_TRUE(parse(R"({"data_dir": "/d", "http_hosts": [""]})", c));
  Overrides o;
  o.http_listen = "";
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", c));
  ASSERT_FALSE(finish_config(o, c));
  EXPECT_EQ(c.http_port, 0);
  o.http_listen = "127.0.0.1:9";
  ASSERT_FALSE(finish_config(o, c));
  EXPECT_EQ(c.http_port, 9);
  o.http_listen = "nonsense";
  EXPECT_TRUE(finish_config(o, c));
}

TEST(Config, RoundTripsThroughJsonForTheWorkers) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "log_level": "debug", "idle_timeout": 7, "timezone": "UTC"})", c));
  ASSERT_FALSE(finish_config({}, c));
  Config back;
  ASSERT_FALSE(parse_config(config_to_json(c), "", back));
  EXPECT_EQ(back.data_dir, "/d");
  EXPECT_EQ(back.log_level, "debug");
  EXPECT_EQ(back.idle_timeout, 7u);
  EXPECT_EQ(back.timezone, "UTC");
  EXPECT_EQ(back.shm_name, c.shm_name);
  EXPECT_EQ(back.pidfile, c.pidfile);
}

TEST(Config, RestartOnlyChangesAreListedAndHeldBack) {
  Config a, b;
  a.data_dir = b.data_dir = "/d";
  EXPECT_EQ(hold_restart_only(a, b), "");
  b.job_capacity = 5;
  b.log_level = "debug";  // live: not listed, and taken
  EXPECT_EQ(hold_restart_only(a, b), "job_capacity");
  EXPECT_EQ(b.job_capacity, a.job_capacity);
  EXPECT_EQ(b.log_level, "debug");
}

TEST(Config, EveryRestartOnlyKeyIsHeldBack) {
  Config a, b;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", a));
  ASSERT_FALSE(parse(R"({"data_dir": "/e", "pidfile": "/e/p", "shm_name": "other", "job_capacity": 9,
                        "ring_bytes": 8192, "server_ring_bytes": 8192, "autoload_plugins": "auth",
                        "listener_user": "x", "unix_socket": "/s", "unix_socket_mode": "0600",
                        "unix_socket_owner": "x", "idle_timeout": 7})", b));
  EXPECT_EQ(hold_restart_only(a, b),
            "data_dir, pidfile, job_capacity, ring_bytes, server_ring_bytes, autoload_plugins, listener_user, "
            "unix_socket");
  Config expected = a;
  expected.idle_timeout = 7;  // live
  EXPECT_EQ(config_to_json(b), config_to_json(expected));
}

TEST(Config, AutoloadPluginsTakesStarAListOrTheOriginalsCommaString) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", c));
  EXPECT_EQ(c.autoload_plugins, std::vector<std::string>{"*"});
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "autoload_plugins": "guarder, auth"})", c));
  EXPECT_EQ(c.autoload_plugins, (std::vector<std::string>{"guarder", "auth"}));
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "autoload_plugins": ["scheduler"]})", c));
  EXPECT_EQ(c.autoload_plugins, std::vector<std::string>{"scheduler"});
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "autoload_plugins": ""})", c));
  EXPECT_TRUE(c.autoload_plugins.empty());
  auto err = parse(R"({"data_dir": "/d", "autoload_plugins": [1]})", c);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("autoload_plugins"), std::string::npos) << *err;
}

TEST(Config, PluginSettingsAreKeptAsObjectsAndSurviveTheRoundTrip) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "allow_insecure_remote": true,
                        "plugin_settings": {"guarder": {"check_interval": 5}, "auth": {}}})", c));
  EXPECT_EQ(c.plugin_settings.at("guarder"), R"({"check_interval":5})");
  EXPECT_EQ(c.plugin_settings.at("auth"), "{}");
  EXPECT_TRUE(c.allow_insecure_remote);
  Config back;
  ASSERT_FALSE(parse_config(config_to_json(c), "", back));
  EXPECT_EQ(back.plugin_settings, c.plugin_settings);
  EXPECT_EQ(back.autoload_plugins, c.autoload_plugins);
  EXPECT_TRUE(back.allow_insecure_remote);
  auto err = parse(R"({"data_dir": "/d", "plugin_settings": {"guarder": 5}})", c);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("\"guarder\" must be an object"), std::string::npos) << *err;
}

TEST(Config, OrphanedJobsAreAdoptedOrStoppedAndNothingElse) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", c));
  EXPECT_EQ(c.orphaned_jobs, "adopt");
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "orphaned_jobs": "stop"})", c));
  EXPECT_EQ(c.orphaned_jobs, "stop");
  Config back;
  ASSERT_FALSE(parse_config(config_to_json(c), "", back));
  EXPECT_EQ(back.orphaned_jobs, "stop");
  auto err = parse(R"({"data_dir": "/d", "orphaned_jobs": "kill"})", c);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("orphaned_jobs"), std::string::npos) << *err;
}

TEST(Config, ChangingThePluginListNeedsARestart) {
  Config a, b;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", a));
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "autoload_plugins": "auth"})", b));
  EXPECT_EQ(hold_restart_only(a, b), "autoload_plugins");
}

}  // namespace

TEST(Config, TheListenerServesAsNobodyUnlessTheConfigNamesAnotherUserOrNone) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", c));
  EXPECT_EQ(c.listener_user, "nobody");
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "listener_user": ""})", c));
  EXPECT_EQ(c.listener_user, "");
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "listener_user": "www-data"})", c));
  Config back;
  ASSERT_FALSE(parse_config(config_to_json(c), "", back));
  EXPECT_EQ(back.listener_user, "www-data");
  EXPECT_TRUE(parse(R"({"data_dir": "/d", "listener_user": 65534})", c));
  Config a;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", a));
  EXPECT_EQ(hold_restart_only(a, back), "listener_user");
}

TEST(Config, AUnixSocketHasAPathFromTheConfigsFolderAModeAndAnOwner) {
  Config c;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", c));
  EXPECT_EQ(c.unix_socket, "");
  EXPECT_EQ(c.unix_socket_mode, 0700u);
  ASSERT_FALSE(parse(R"({"data_dir": "/d", "unix_socket": "run/api.sock", "unix_socket_mode": "660",
                         "unix_socket_owner": "www-data:adm"})", c));
  EXPECT_EQ(c.unix_socket, "/etc/bs/run/api.sock");
  EXPECT_EQ(c.unix_socket_mode, 0660u);
  Config back;
  ASSERT_FALSE(parse_config(config_to_json(c), "", back));
  EXPECT_EQ(back.unix_socket, c.unix_socket);
  EXPECT_EQ(back.unix_socket_mode, 0660u);
  EXPECT_EQ(back.unix_socket_owner, "www-data:adm");
  for (const char* bad : {R"("0668")", R"("06600")", "660", R"("rw")", R"("")"}) {
    auto err = parse(std::string(R"({"data_dir": "/d", "unix_socket_mode": )") + bad + "}", c);
    ASSERT_TRUE(err) << bad;
    EXPECT_NE(err->find("octal digits"), std::string::npos) << *err;
  }
  Config a;
  ASSERT_FALSE(parse(R"({"data_dir": "/d"})", a));
  EXPECT_EQ(hold_restart_only(a, back), "unix_socket");
}

}  // namespace backend::conf
