// Suites are named backendctl*, so that `ctest -R backendctl` selects them.
#include <gtest/gtest.h>

#include <map>

#include "args.h"
#include "globals.h"
#include "job_options.h"

namespace backendctl {
namespace {

const std::vector<OptionSpec> kSpecs = {{"follow", 'f', false}, {"env", 0, true}, {"offset", 'o', true}};

TEST(backendctlArgs, TakesValuesInEverySpellingAndKeepsRepeatsInOrder) {
  auto a = parse_args({"x", "--env", "A=1", "--env=B=2", "-o5", "y", "-o", "6", "-f"}, kSpecs);
  EXPECT_EQ(a.positionals, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(a.values("env"), (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(a.value("offset"), "6") << "the last one wins";
  EXPECT_TRUE(a.has("follow"));
  EXPECT_FALSE(a.help);
}

TEST(backendctlArgs, TakesAValueThatLooksLikeAnOptionAsTheValue) {
  auto a = parse_args({"--env", "--help"}, kSpecs);
  EXPECT_EQ(a.value("env"), "--help");
  EXPECT_FALSE(a.help);
}

TEST(backendctlArgs, EndsOptionsAtDoubleDashAndKeepsADashAlone) {
  auto a = parse_args({"--", "-f", "--help", "-"}, kSpecs);
  EXPECT_EQ(a.positionals, (std::vector<std::string>{"-f", "--help", "-"}));
  EXPECT_FALSE(a.has("follow"));
  EXPECT_FALSE(a.help);
}

TEST(backendctlArgs, SeesHelpAndJsonAnywhere) {
  auto a = parse_args({"x", "-h"}, kSpecs);
  EXPECT_TRUE(a.help);
  a = parse_args({"--json", "x"}, kSpecs);
  EXPECT_TRUE(a.json);
  EXPECT_TRUE(parse_args({"--help"}, {}).help);
}

TEST(backendctlArgs, RefusesUnknownOptionsMissingValuesAndValuesOfFlags) {
  EXPECT_THROW(parse_args({"--nope"}, kSpecs), UsageError);
  EXPECT_THROW(parse_args({"-z"}, kSpecs), UsageError);
  EXPECT_THROW(parse_args({"--env"}, kSpecs), UsageError);
  EXPECT_THROW(parse_args({"--follow=yes"}, kSpecs), UsageError);
  EXPECT_THROW(parse_args({"-fx"}, kSpecs), UsageError);
}

TEST(backendctlArgs, SaysWhereAGlobalOptionAfterTheCommandBelongs) {
  try {
    parse_args({"--user", "www-data"}, kSpecs);
    FAIL() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--user is a global option: give it before the command");
  }
}

TEST(backendctlArgs, StopsAtTheFirstPositionalWhenAskedTo) {
  auto a = parse_args({"-f", "cmd", "-f", "--nope"}, kSpecs, StopAt::kPositional);
  EXPECT_TRUE(a.has("follow"));
  EXPECT_EQ(a.positionals, (std::vector<std::string>{"cmd", "-f", "--nope"}));
}

TEST(backendctlArgs, ChecksTheWholeTextAndTheRange) {
  EXPECT_EQ(parse_int("n", "42", 1, 100), 42);
  EXPECT_THROW(parse_int("n", "0", 1, 100), UsageError);
  EXPECT_THROW(parse_int("n", "101", 1, 100), UsageError);
  EXPECT_THROW(parse_int("n", "4x", 1, 100), UsageError);
  EXPECT_THROW(parse_int("n", "", 1, 100), UsageError);
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(backendctlGlobals, DefaultsToLoopbackAndTheStandardPort) {
  auto g = parse_globals({"ls"}, env_of({}));
  EXPECT_EQ(g.host, "127.0.0.1");
  EXPECT_EQ(g.port, 13123);
  EXPECT_FALSE(g.user);
  EXPECT_FALSE(g.timeout);
  EXPECT_EQ(g.command, std::vector<std::string>{"ls"});
}

TEST(backendctlGlobals, TakesTheEnvironmentAndLetsOptionsOverrideIt) {
  auto env = env_of({{"BACKEND_HOST", "h1"}, {"BACKEND_PORT", "2000"}, {"BACKEND_USER", "ann"}});
  auto g = parse_globals({"ls"}, env);
  EXPECT_EQ(g.host, "h1");
  EXPECT_EQ(g.port, 2000);
  EXPECT_EQ(g.user, "ann");
  g = parse_globals({"-H", "h2", "--port=3000", "-u", "bob", "--timeout", "1.5", "--json", "ls"}, env);
  EXPECT_EQ(g.host, "h2");
  EXPECT_EQ(g.port, 3000);
  EXPECT_EQ(g.user, "bob");
  EXPECT_EQ(g.timeout, std::chrono::milliseconds(1500));
  EXPECT_TRUE(g.json);
}

TEST(backendctlGlobals, LeavesEverythingAfterTheCommandToIt) {
  auto g = parse_globals({"add", "web", "/bin/web", "--user", "x", "--port", "1"}, env_of({}));
  EXPECT_EQ(g.port, 13123);
  EXPECT_FALSE(g.user);
  EXPECT_EQ(g.command, (std::vector<std::string>{"add", "web", "/bin/web", "--user", "x", "--port", "1"}));
}

TEST(backendctlGlobals, RefusesBadPortsAndTimeouts) {
  EXPECT_THROW(parse_globals({"--port", "0", "ls"}, env_of({})), UsageError);
  EXPECT_THROW(parse_globals({"--port", "65536", "ls"}, env_of({})), UsageError);
  EXPECT_THROW(parse_globals({"ls"}, env_of({{"BACKEND_PORT", "http"}})), UsageError);
  EXPECT_THROW(parse_globals({"--timeout", "0", "ls"}, env_of({})), UsageError);
  EXPECT_THROW(parse_globals({"--timeout", "soon", "ls"}, env_of({})), UsageError);
  EXPECT_THROW(parse_globals({"--host", "", "ls"}, env_of({})), UsageError);
}

std::string settings_of(const std::vector<std::string>& args) {
  return job_settings(parse_args(args, job_option_specs())).json();
}

TEST(backendctlJobSettings, MapsEveryOptionToItsSetting) {
  EXPECT_EQ(settings_of({"--params", "-v 'a b'", "--writelog", "--buffersize", "50", "--autostart", "--guard", "--cwd",
                         "/tmp", "--run-as", "www-data", "--interpreter", "python3", "--stopsignal", "INT",
                         "--stoptimeout", "3"}),
            R"({"params":"-v 'a b'","writelog":true,"buffersize":50,"autostart":true,"guard":true,)"
            R"("cwd":"/tmp","user":"www-data","interpreter":"python3","stopsignal":"INT","stoptimeout":3})");
  EXPECT_EQ(settings_of({"--no-writelog", "--no-autostart", "--no-guard"}),
            R"({"writelog":false,"autostart":false,"guard":false})");
  EXPECT_EQ(settings_of({}), "{}");
}

TEST(backendctlJobSettings, LetsTheLastOfContraryFlagsWin) {
  EXPECT_EQ(settings_of({"--writelog", "--no-writelog"}), R"({"writelog":false})");
}

TEST(backendctlJobSettings, GathersEveryEnvIntoOneObject) {
  EXPECT_EQ(settings_of({"--env", "A=1", "--env", "B=x=y", "--env", "C="}), R"({"env":{"A":"1","B":"x=y","C":""}})");
  EXPECT_THROW(settings_of({"--env", "A"}), UsageError);
  EXPECT_THROW(settings_of({"--env", "=1"}), UsageError);
}

TEST(backendctlJobSettings, SetsOtherKeysAsJsonOrElseAsText) {
  EXPECT_EQ(settings_of({"--set", "n=5", "--set", "o={\"a\":[1]}", "--set", "s=hello", "--set", "q=\"5\""}),
            R"({"n":5,"o":{"a":[1]},"s":"hello","q":"5"})");
  EXPECT_THROW(settings_of({"--set", "novalue"}), UsageError);
}

TEST(backendctlJobSettings, ChecksNumbers) {
  EXPECT_THROW(settings_of({"--buffersize", "0"}), UsageError);
  EXPECT_THROW(settings_of({"--buffersize", "10001"}), UsageError);
  EXPECT_THROW(settings_of({"--stoptimeout", "-1"}), UsageError);
}

}  // namespace
}  // namespace backendctl
