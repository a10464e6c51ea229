// Every call of the C++ client library against a real server, in the order
// a user would make them: jobs, output, memory, logs, schedules, users.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "backend/client.h"
#include "tests/support/server_fixture.h"

namespace itest {
namespace {

using backend::client::Backend;
using backend::client::Code;
using backend::client::Params;
using backend::client::Result;

std::string describe(const Result& r) { return std::string(r.code_text()) + " " + r.error() + " " + r.raw(); }

class ClientTest : public testing::Test {
 protected:
  void SetUp() override {
    s.set("timezone", "\"UTC\"");
    ASSERT_TRUE(s.start());
    be.init("127.0.0.1", s.port);
    script = s.dir + "/hello.sh";
    write_file(script, "#!/bin/sh\necho hello from the job\nwhile :; do sleep 1; done\n");
    chmod(script.c_str(), 0755);
  }
  Server s;
  Backend be;
  std::string script;
};

TEST_F(ClientTest, JobCalls) {
  auto added = be.add("hello", script, Params().set("writelog", true));
  ASSERT_TRUE(added.ok()) << describe(added);
  auto again = be.add("hello", script);
  EXPECT_EQ(again.code(), Code::kFailed);
  EXPECT_FALSE(again.error().empty());

  auto got = be.get("hello");
  ASSERT_TRUE(got.ok()) << describe(got);
  EXPECT_EQ(got.data()["command"].GetString(), script);
  EXPECT_TRUE(got.data()["writelog"].GetBool());
  ASSERT_TRUE(be.update("hello", Params().set("writelog", true).set("buffersize", 5)).ok());
  EXPECT_EQ(be.get("hello").data()["buffersize"].GetInt(), 5);
  EXPECT_TRUE(be.getall().data().HasMember("hello"));

  ASSERT_TRUE(be.start("hello").ok());
  EXPECT_STREQ(be.status("hello").data().GetString(), "UP");
  EXPECT_STREQ(be.statusall().data()["hello"].GetString(), "UP");
  std::string text;
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = be.read("hello");
        text = r.ok() && r.data().IsString() ? r.data().GetString() : describe(r);
        return text.find("] hello from the job") != std::string::npos;
      },
      3000))
      << text;
  auto mem = be.mem("hello");
  ASSERT_TRUE(mem.ok()) << describe(mem);
  EXPECT_GT(mem.data().GetInt64(), 0);
  EXPECT_TRUE(be.memall().data().HasMember("hello"));
  EXPECT_GT(be.servermem().data().GetInt64(), 0);
  auto serverread = be.serverread();
  ASSERT_TRUE(serverread.ok() && serverread.data().IsString()) << describe(serverread);

  ASSERT_TRUE(be.restart("hello").ok());
  EXPECT_STREQ(be.status("hello").data().GetString(), "UP");
  ASSERT_TRUE(be.stop("hello").ok());
  EXPECT_STREQ(be.status("hello").data().GetString(), "DOWN");
  EXPECT_EQ(be.stop("hello").code(), Code::kFailed) << "a second STOP";

  ASSERT_TRUE(be.remove("hello").ok());
  EXPECT_EQ(be.get("hello").code(), Code::kFailed);
  EXPECT_EQ(be.call("NOSUCH").code(), Code::kUnknown);
}

TEST_F(ClientTest, LogExplorerCalls) {
  ASSERT_TRUE(be.add("hello", script, Params().set("writelog", true)).ok());
  ASSERT_TRUE(be.start("hello").ok());
  Result dirs, files;
  ASSERT_TRUE(wait_until(
      [&] {
        dirs = be.logexplorer_listdir("hello");
        if (!dirs.ok() || !dirs.data().IsArray() || dirs.data().Empty()) return false;
        files = be.logexplorer_listfile("hello", dirs.data()[0].GetString());
        return files.ok() && files.data().IsArray() && !files.data().Empty();
      },
      5000))
      << describe(dirs) << " / " << describe(files);
  std::string day = dirs.data()[0].GetString(), file = files.data()[0].GetString();
  std::string content;
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = be.logexplorer_get("hello", day, file);
        content = r.ok() && r.data().IsString() ? r.data().GetString() : describe(r);
        return content.find("hello from the job") != std::string::npos;
      },
      5000))
      << content;
  EXPECT_EQ(be.logexplorer_get("hello", "..", file).code(), Code::kFailed);

  auto sdirs = be.logexplorer_serverlistdir();
  ASSERT_TRUE(sdirs.ok() && sdirs.data().IsArray() && !sdirs.data().Empty()) << describe(sdirs);
  auto sfiles = be.logexplorer_serverlistfile(sdirs.data()[0].GetString());
  ASSERT_TRUE(sfiles.ok() && sfiles.data().IsArray() && !sfiles.data().Empty()) << describe(sfiles);
  auto slog = be.logexplorer_serverget(sdirs.data()[0].GetString(), sfiles.data()[0].GetString());
  ASSERT_TRUE(slog.ok() && slog.data().IsString()) << describe(slog);
  EXPECT_GT(slog.data().GetStringLength(), 0u);
  ASSERT_TRUE(be.stop("hello").ok());
}

TEST_F(ClientTest, SchedulerCalls) {
  ASSERT_TRUE(be.add("hello", script).ok());
  Params when;
  when.set("enable", true).set("condition", Params().set("i", "05"));
  auto added = be.scheduler_add("hello", when);
  ASSERT_TRUE(added.ok() && added.data().IsString()) << describe(added);
  std::string uuid = added.data().GetString();

  auto got = be.scheduler_get("hello", uuid);
  ASSERT_TRUE(got.ok()) << describe(got);
  EXPECT_TRUE(got.data()["enable"].GetBool());
  EXPECT_STREQ(got.data()["condition"]["i"].GetString(), "05");
  ASSERT_TRUE(be.scheduler_update("hello", uuid, Params().set("enable", "0")).ok());
  EXPECT_FALSE(be.scheduler_get("hello", uuid).data()["enable"].GetBool());
  auto all = be.scheduler_getall();
  ASSERT_TRUE(all.ok()) << describe(all);
  EXPECT_TRUE(all.data()["hello"].HasMember(uuid.c_str())) << all.raw();
  auto log = be.scheduler_getlog("hello", uuid);
  ASSERT_TRUE(log.ok() && log.data().IsArray()) << describe(log);
  EXPECT_EQ(be.scheduler_add("hello", Params().set("enable", true)).code(), Code::kFailed) << "no condition";
  ASSERT_TRUE(be.scheduler_delete("hello", uuid).ok());
  EXPECT_EQ(be.scheduler_get("hello", uuid).code(), Code::kFailed);
}

TEST_F(ClientTest, AuthCalls) {
  auto enabled = be.auth_getenable();
  ASSERT_TRUE(enabled.ok()) << describe(enabled);
  EXPECT_FALSE(enabled.data().GetBool());
  ASSERT_TRUE(be.auth_add("admin", "s3cret-pass", "*", Params().set("note", "ops")).ok());
  ASSERT_TRUE(be.auth_add("viewer", "view-pass", "STATUSALL").ok());
  auto admin = be.auth_get("admin");
  ASSERT_TRUE(admin.ok()) << describe(admin);
  EXPECT_FALSE(admin.data().HasMember("password")) << admin.raw();
  EXPECT_STREQ(admin.data()["note"].GetString(), "ops");
  EXPECT_TRUE(be.auth_getall().data().HasMember("viewer"));
  ASSERT_TRUE(be.auth_update("viewer", Params().set("privileges", "STATUSALL,SERVERMEM")).ok());

  ASSERT_TRUE(be.auth_setenable(true).ok());
  EXPECT_EQ(be.statusall().code(), Code::kDenied) << "no credentials";

  Backend viewer;
  viewer.init("127.0.0.1", s.port);
  viewer.set_auth("viewer", "view-pass");
  EXPECT_TRUE(viewer.servermem().ok());
  EXPECT_EQ(viewer.serverread().code(), Code::kDenied) << "not in its privileges";

  be.set_auth("admin", "s3cret-pass");
  EXPECT_TRUE(be.statusall().ok());
  ASSERT_TRUE(be.auth_delete("viewer").ok());
  EXPECT_EQ(viewer.servermem().code(), Code::kDenied) << "a deleted user";
  ASSERT_TRUE(be.auth_setenable(false).ok());
}

TEST_F(ClientTest, ATransportFailureIsAResultNotACrash) {
  Backend nowhere;
  nowhere.init("127.0.0.1", pick_free_port());
  auto r = nowhere.statusall();
  EXPECT_EQ(r.code(), Code::kTransport);
  EXPECT_NE(r.error().find("cannot connect"), std::string::npos) << r.error();

  // The server going away between calls: the next call says so.
  ASSERT_TRUE(be.statusall().ok());
  ASSERT_TRUE(s.stop());
  EXPECT_EQ(be.statusall().code(), Code::kTransport);
}

}  // namespace
}  // namespace itest
