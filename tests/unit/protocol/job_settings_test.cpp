#include "protocol/job_settings.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/request.h"
#include "protocol/response.h"

namespace backend::protocol {
namespace {

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

// settings_for_add on a JSON text: the stored JSON, or "ERROR: sentence".
std::string add(const std::string& params_json) {
  rapidjson::Document params = parse(params_json);
  rapidjson::Document out;
  if (auto err = settings_for_add(params, out)) return "ERROR: " + *err;
  return to_json(out);
}

std::string update(const std::string& params_json, const std::string& current_json) {
  rapidjson::Document params = parse(params_json);
  rapidjson::Document current = parse(current_json);
  rapidjson::Document out;
  if (auto err = settings_for_update(params, current, out)) return "ERROR: " + *err;
  return to_json(out);
}

// A minimal ADD with one extra setting.
std::string add_with(const std::string& key, const std::string& value_json) {
  return add(R"({"jobname":"j","command":"/bin/true",")" + key + "\":" + value_json + "}");
}

constexpr const char* kBase = R"({"jobname":"j","command":"/bin/true","params":"","buffersize":20,"writelog":false)";

TEST(JobSettingsTest, DefaultsFilledIn) {
  EXPECT_EQ(add(R"({"jobname":"j","command":"/bin/true"})"), std::string(kBase) + "}");
}

TEST(JobSettingsTest, CoreKeysComeFirstInAFixedOrder) {
  EXPECT_EQ(add(R"({"writelog":true,"custom":"kept","command":"/x","jobname":"j","params":"-v"})"),
            R"({"jobname":"j","command":"/x","params":"-v","buffersize":20,"writelog":true,"custom":"kept"})");
}

TEST(JobSettingsTest, PhpStyleValuesAreNormalised) {
  EXPECT_EQ(add(R"({"jobname":"j","command":"/bin/true","writelog":"1","buffersize":"30","guard":"0",)"
                R"("autostart":"true","stoptimeout":"5"})"),
            R"({"jobname":"j","command":"/bin/true","params":"","buffersize":30,"writelog":true,)"
            R"("guard":false,"autostart":true,"stoptimeout":5})");
  EXPECT_EQ(add_with("writelog", "1"), R"({"jobname":"j","command":"/bin/true","params":"","buffersize":20,"writelog":true})");
  EXPECT_EQ(add_with("writelog", "\"\""), std::string(kBase) + "}");
}

TEST(JobSettingsTest, ExtensionKeysStored) {
  EXPECT_EQ(add_with("interpreter", "\"php\""), std::string(kBase) + R"(,"interpreter":"php"})");
  EXPECT_EQ(add_with("cwd", "\"/tmp\""), std::string(kBase) + R"(,"cwd":"/tmp"})");
  EXPECT_EQ(add_with("user", "\"nobody\""), std::string(kBase) + R"(,"user":"nobody"})");
  EXPECT_EQ(add_with("env", R"({"A":"1","B":""})"), std::string(kBase) + R"(,"env":{"A":"1","B":""}})");
  EXPECT_EQ(add_with("env", "{}"), std::string(kBase) + R"(,"env":{}})");
  EXPECT_EQ(add_with("stoptimeout", "0"), std::string(kBase) + R"(,"stoptimeout":0})");
  EXPECT_EQ(add_with("stoptimeout", "86400"), std::string(kBase) + R"(,"stoptimeout":86400})");
}

TEST(JobSettingsTest, StopSignalNormalised) {
  for (const char* given : {"\"TERM\"", "\"SIGTERM\"", "\"term\"", "\"sigterm\"", "\"SigTerm\""}) {
    EXPECT_EQ(add_with("stopsignal", given), std::string(kBase) + R"(,"stopsignal":"TERM"})") << given;
  }
  for (const char* sig : {"HUP", "INT", "QUIT", "ABRT", "KILL", "USR1", "USR2", "ALRM", "TERM"}) {
    EXPECT_EQ(add_with("stopsignal", std::string("\"SIG") + sig + "\""),
              std::string(kBase) + R"(,"stopsignal":")" + sig + "\"}");
  }
}

TEST(JobSettingsTest, UnknownKeysKeptAsGiven) {
  EXPECT_EQ(add_with("custom", R"({"deep":[1,"two",null,{"x":3.5}]})"),
            std::string(kBase) + R"(,"custom":{"deep":[1,"two",null,{"x":3.5}]}})");
  EXPECT_EQ(add_with("n", "\"1\""), std::string(kBase) + R"(,"n":"1"})");  // not normalised
}

TEST(JobSettingsTest, AuthNeverStored) {
  EXPECT_EQ(add(R"({"jobname":"j","command":"/bin/true","auth":{"username":"u","password":"p"}})"),
            std::string(kBase) + "}");
  EXPECT_EQ(update(R"({"jobname":"j","auth":{"username":"u"},"writelog":true})",
                   R"({"jobname":"j","command":"/x","auth":"leaked"})"),
            R"({"jobname":"j","command":"/x","writelog":true})");
}

TEST(JobSettingsTest, DuplicateKeysFirstWins) {
  EXPECT_EQ(add(R"({"jobname":"j","command":"/a","command":"/b","x":1,"x":2})"),
            R"({"jobname":"j","command":"/a","params":"","buffersize":20,"writelog":false,"x":1})");
  // The first is the one checked: a bad duplicate after it does not matter.
  EXPECT_EQ(add(R"({"jobname":"j","command":"/a","buffersize":5,"buffersize":"lots"})"),
            R"({"jobname":"j","command":"/a","params":"","buffersize":5,"writelog":false})");
}

TEST(JobSettingsTest, JobnameErrors) {
  EXPECT_EQ(add(R"({"command":"/bin/true"})"), "ERROR: jobname is required");
  EXPECT_EQ(add(R"({"jobname":42,"command":"/bin/true"})"), "ERROR: jobname must be a string");
  EXPECT_EQ(add(R"({"jobname":"a/b","command":"/bin/true"})").rfind("ERROR: jobname \"a/b\" is not valid", 0), 0u);
}

TEST(JobSettingsTest, CommandErrors) {
  EXPECT_EQ(add(R"({"jobname":"j"})"), "ERROR: command is required");
  EXPECT_EQ(add(R"({"jobname":"j","command":null})"), "ERROR: command is required");
  EXPECT_EQ(add(R"({"jobname":"j","command":["/bin/true"]})"), "ERROR: command must be a string");
  EXPECT_EQ(add(R"({"jobname":"j","command":42})"), "ERROR: command must be a string");
  EXPECT_EQ(add(R"({"jobname":"j","command":""})"), "ERROR: command must not be empty");
  EXPECT_EQ(add(R"({"jobname":"j","command":"/bin/tr\u0000ue"})"), "ERROR: command must not contain a NUL byte");
}

TEST(JobSettingsTest, WrongTypesRefusedNamingTheKey) {
  struct Case {
    const char* key;
    const char* value;
    const char* error;
  };
  const Case cases[] = {
      {"params", "42", "params must be a string"},
      {"params", "[\"-v\"]", "params must be a string"},
      {"params", "null", "params must be a string"},
      {"params", "\"a\\u0000b\"", "params must not contain a NUL byte"},
      {"buffersize", "\"lots\"", "buffersize must be an integer from 1 to 10000"},
      {"buffersize", "0", "buffersize must be an integer from 1 to 10000"},
      {"buffersize", "10001", "buffersize must be an integer from 1 to 10000"},
      {"buffersize", "-1", "buffersize must be an integer from 1 to 10000"},
      {"buffersize", "30.0", "buffersize must be an integer from 1 to 10000"},
      {"buffersize", "true", "buffersize must be an integer from 1 to 10000"},
      {"buffersize", "\"\"", "buffersize must be an integer from 1 to 10000"},
      {"writelog", "\"yes\"", "writelog must be a boolean"},
      {"writelog", "2", "writelog must be a boolean"},
      {"writelog", "null", "writelog must be a boolean"},
      {"autostart", "[]", "autostart must be a boolean"},
      {"guard", "\"on\"", "guard must be a boolean"},
      {"interpreter", "1", "interpreter must be a string"},
      {"cwd", "{}", "cwd must be a string"},
      {"user", "0", "user must be a string"},
      {"env", "[]", "env must be an object of strings"},
      {"env", "\"A=1\"", "env must be an object of strings"},
      {"env", R"({"A":1})", "env must be an object of strings"},
      {"env", R"({"A":null})", "env must be an object of strings"},
      {"env", R"({"A":{"B":"c"}})", "env must be an object of strings"},
      {"env", R"({"A=B":"c"})", "env must have names that are not empty, without \"=\" or NUL"},
      {"env", R"({"":"c"})", "env must have names that are not empty, without \"=\" or NUL"},
      {"env", R"({"A\u0000":"c"})", "env must have names that are not empty, without \"=\" or NUL"},
      {"env", R"({"A":"c\u0000d"})", "env must have values without NUL"},
      {"stopsignal", "15", "stopsignal must be a signal name: HUP, INT, QUIT, ABRT, KILL, USR1, USR2, ALRM or TERM"},
      {"stopsignal", "\"SIGSTOP\"", "stopsignal must be a signal name: HUP, INT, QUIT, ABRT, KILL, USR1, USR2, ALRM or TERM"},
      {"stopsignal", "\"\"", "stopsignal must be a signal name: HUP, INT, QUIT, ABRT, KILL, USR1, USR2, ALRM or TERM"},
      {"stopsignal", "\"SIG\"", "stopsignal must be a signal name: HUP, INT, QUIT, ABRT, KILL, USR1, USR2, ALRM or TERM"},
      {"stopsignal", "\"TERM \"", "stopsignal must be a signal name: HUP, INT, QUIT, ABRT, KILL, USR1, USR2, ALRM or TERM"},
      {"stoptimeout", "-1", "stoptimeout must be an integer from 0 to 86400"},
      {"stoptimeout", "86401", "stoptimeout must be an integer from 0 to 86400"},
      {"stoptimeout", "\"10s\"", "stoptimeout must be an integer from 0 to 86400"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(add_with(c.key, c.value), std::string("ERROR: ") + c.error) << c.key << " = " << c.value;
    EXPECT_EQ(update(std::string(R"({"jobname":"j",")") + c.key + "\":" + c.value + "}", kBase + std::string("}")),
              std::string("ERROR: ") + c.error)
        << "UPDATE " << c.key << " = " << c.value;
  }
}

TEST(JobSettingsTest, BufferSizeBounds) {
  EXPECT_EQ(add_with("buffersize", "1"), R"({"jobname":"j","command":"/bin/true","params":"","buffersize":1,"writelog":false})");
  EXPECT_EQ(add_with("buffersize", "\"10000\""),
            R"({"jobname":"j","command":"/bin/true","params":"","buffersize":10000,"writelog":false})");
}

TEST(JobSettingsTest, StoredIntegersAreIntegers) {
  rapidjson::Document params = parse(R"({"jobname":"j","command":"/x","buffersize":"30","stoptimeout":"7"})");
  rapidjson::Document out;
  ASSERT_FALSE(settings_for_add(params, out));
  EXPECT_TRUE(out["buffersize"].IsInt());
  EXPECT_EQ(out["buffersize"].GetInt(), 30);
  EXPECT_TRUE(out["stoptimeout"].IsInt());
  EXPECT_TRUE(out["writelog"].IsBool());
}

TEST(JobSettingsTest, SettingsOutliveTheirParams) {
  rapidjson::Document out;
  {
    rapidjson::Document params =
        parse(R"({"jobname":"a-rather-long-job-name","command":"/a/rather/long/command/path","x":{"y":"zzzzzzzzzzzzzzzzzzzzzzzz"}})");
    ASSERT_FALSE(settings_for_add(params, out));
  }
  EXPECT_EQ(to_json(out),
            R"({"jobname":"a-rather-long-job-name","command":"/a/rather/long/command/path","params":"",)"
            R"("buffersize":20,"writelog":false,"x":{"y":"zzzzzzzzzzzzzzzzzzzzzzzz"}})");
}

TEST(JobSettingsTest, ErrorLeavesOutUntouched) {
  rapidjson::Document out = parse(R"({"old":true})");
  rapidjson::Document params = parse(R"({"jobname":"j","command":"/x","writelog":"maybe"})");
  EXPECT_TRUE(settings_for_add(params, out));
  EXPECT_EQ(to_json(out), R"({"old":true})");
}

TEST(JobSettingsTest, SizeLimit) {
  // {"jobname":"j","command":"/x","params":"","buffersize":20,"writelog":false,"pad":"..."}
  const size_t fixed = std::string(R"({"jobname":"j","command":"/x","params":"","buffersize":20,"writelog":false,"pad":""})").size();
  auto with_pad = [](size_t n) { return R"({"jobname":"j","command":"/x","pad":")" + std::string(n, 'p') + "\"}"; };
  std::string ok = add(with_pad(kMaxSettingsBytes - fixed));
  EXPECT_EQ(ok.size(), kMaxSettingsBytes);
  EXPECT_EQ(add(with_pad(kMaxSettingsBytes - fixed + 1)), "ERROR: settings are too large (16385 bytes, at most 16384)");
  // Escapes count as sent: each newline is two bytes.
  std::string newlines;
  for (int i = 0; i < 9000; ++i) newlines += "\\n";
  EXPECT_EQ(add(R"({"jobname":"j","command":"/x","pad":")" + newlines + "\"}").substr(0, 31),
            "ERROR: settings are too large (");
}

TEST(JobSettingsTest, ManyUnknownKeysAreTooLarge) {
  std::string params = R"({"jobname":"j","command":"/x")";
  for (int i = 0; i < 20000; ++i) params += ",\"k" + std::to_string(i) + "\":0";
  params += "}";
  EXPECT_EQ(add(params).rfind("ERROR: settings are too large (", 0), 0u);
}

TEST(JobSettingsTest, UpdateMerges) {
  const std::string current =
      R"({"jobname":"j","command":"/bin/true","params":"","buffersize":20,"writelog":true,"custom":"kept"})";
  EXPECT_EQ(update(R"({"jobname":"j","writelog":false,"params":"-x"})", current),
            R"({"jobname":"j","command":"/bin/true","params":"-x","buffersize":20,"writelog":false,"custom":"kept"})");
  EXPECT_EQ(update(R"({"jobname":"j","writelog":"1","buffersize":"5","guard":"1","new":[1]})", current),
            R"({"jobname":"j","command":"/bin/true","params":"","buffersize":5,"writelog":true,"custom":"kept",)"
            R"("guard":true,"new":[1]})");
  EXPECT_EQ(update(R"({"jobname":"j"})", current), current);
  EXPECT_EQ(update(R"({"jobname":"j","command":"/bin/false"})", current),
            R"({"jobname":"j","command":"/bin/false","params":"","buffersize":20,"writelog":true,"custom":"kept"})");
  EXPECT_EQ(update(R"({"jobname":"j","custom":{"now":"an object"}})", current),
            R"({"jobname":"j","command":"/bin/true","params":"","buffersize":20,"writelog":true,)"
            R"("custom":{"now":"an object"}})");
}

TEST(JobSettingsTest, UpdateChecksCommand) {
  const std::string current = std::string(kBase) + "}";
  EXPECT_EQ(update(R"({"jobname":"j","command":""})", current), "ERROR: command must not be empty");
  EXPECT_EQ(update(R"({"jobname":"j","command":null})", current), "ERROR: command must be a string");
  EXPECT_EQ(update(R"({"jobname":"j","command":1})", current), "ERROR: command must be a string");
}

TEST(JobSettingsTest, UpdateCannotRename) {
  const std::string current = std::string(kBase) + "}";
  // The params' jobname names the job to update; the stored one stays.
  EXPECT_EQ(update(R"({"jobname":"other","writelog":true})", current),
            R"({"jobname":"j","command":"/bin/true","params":"","buffersize":20,"writelog":true})");
  EXPECT_EQ(update(R"({"writelog":true})", current), "ERROR: jobname is required");
  EXPECT_EQ(update(R"({"jobname":"../x","writelog":true})", current).rfind("ERROR: jobname \"../x\"", 0), 0u);
}

TEST(JobSettingsTest, UpdateAddsJobnameWhenTheOldSettingsLackedIt) {
  EXPECT_EQ(update(R"({"jobname":"j","writelog":true})", R"({"command":"/x","writelog":false})"),
            R"({"command":"/x","writelog":true,"jobname":"j"})");
}

TEST(JobSettingsTest, UpdateInPlaceWhereCurrentIsOut) {
  rapidjson::Document settings;
  ASSERT_FALSE(settings_for_add(parse(R"({"jobname":"j","command":"/bin/true","custom":"a-long-string-value-here"})"),
                                settings));
  rapidjson::Document params = parse(R"({"jobname":"j","params":"-v"})");
  ASSERT_FALSE(settings_for_update(params, settings, settings));
  EXPECT_EQ(to_json(settings),
            R"({"jobname":"j","command":"/bin/true","params":"-v","buffersize":20,"writelog":false,)"
            R"("custom":"a-long-string-value-here"})");
}

TEST(JobSettingsTest, UpdateSizeLimit) {
  const std::string current = std::string(kBase) + "}";
  EXPECT_EQ(update(R"({"jobname":"j","pad":")" + std::string(kMaxSettingsBytes, 'p') + "\"}", current)
                .rfind("ERROR: settings are too large (", 0),
            0u);
}

TEST(JobSettingsTest, WorksOnParsedRequestsAfterTakeAuth) {
  Request r;
  ASSERT_FALSE(parse_request(
      R"(ADD {"auth":{"username":"u","password":"p"},"jobname":"web","command":"/srv/a.php","writelog":"1"})", r));
  take_auth(r.params);
  rapidjson::Document out;
  ASSERT_FALSE(settings_for_add(r.params, out));
  EXPECT_EQ(to_json(out), R"({"jobname":"web","command":"/srv/a.php","params":"","buffersize":20,"writelog":true})");
}

TEST(JobSettingsTest, PutStoresWhatAddWouldUnderTheGivenName) {
  std::string stored = "untouched";
  EXPECT_FALSE(settings_for_put("ledger", R"({"command":"/srv/ledger","writelog":"1","stoptimeout":1})", stored));
  EXPECT_EQ(stored, add(R"({"jobname":"ledger","command":"/srv/ledger","writelog":"1","stoptimeout":1})"));
  EXPECT_EQ(stored, R"({"jobname":"ledger","command":"/srv/ledger","params":"","buffersize":20,"writelog":true,)"
                    R"("stoptimeout":1})");
  // Errors leave `stored` as it was.
  stored = "untouched";
  EXPECT_EQ(settings_for_put("ledger", "[1]", stored), "settings are not a JSON object");
  EXPECT_EQ(settings_for_put("ledger", "{", stored), "settings are not a JSON object");
  EXPECT_EQ(settings_for_put("ledger", R"({"params":"x"})", stored), "command is required");
  EXPECT_TRUE(settings_for_put("bad name!", R"({"command":"/bin/true"})", stored));
  EXPECT_EQ(stored, "untouched");
}

}  // namespace
}  // namespace backend::protocol
