// What each call puts on the wire: command names and parameters of
// PROTOCOL.md, the seed's argument order, and set_auth.
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <vector>

#include "backend/client.h"
#include "fake_server.h"

namespace backend::client {
namespace {

using testing::FakeServer;
using testing::Peer;
using protocol::encode_frame;

// A server that answers OK to everything and records each request.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> requests;
  FakeServer server{[this](Peer& p, int) {
    for (std::string req; !(req = p.read_request()).empty();) {
      {
        std::lock_guard lock(mu);
        requests.push_back(req);
      }
      p.write(encode_frame(R"({"code":"OK"})"));
    }
  }};
  std::string last() {
    std::lock_guard lock(mu);
    return requests.empty() ? "" : requests.back();
  }
};

// A call and the request it must send.
struct Case {
  std::function<Result()> call;
  const char* wire;
};

void expect_sent(Recorder& rec, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    ASSERT_TRUE(c.call().ok()) << c.wire;
    EXPECT_EQ(rec.last(), c.wire);
  }
}

TEST(Backend, JobCallsSendTheOriginalCommands) {
  Recorder rec;
  Backend be;
  be.init("127.0.0.1", rec.server.port());
  Params log;
  log.set("writelog", true);
  std::vector<Case> cases = {
      {[&] { return be.add("j", "/bin/x", log); }, R"(ADD {"writelog":true,"command":"/bin/x","jobname":"j"})"},
      {[&] { return be.remove("j"); }, R"(DELETE {"jobname":"j"})"},
      {[&] { return be.update("j", log); }, R"(UPDATE {"writelog":true,"jobname":"j"})"},
      {[&] { return be.get("j"); }, R"(GET {"jobname":"j"})"},
      {[&] { return be.getall(); }, "GETALL"},
      {[&] { return be.start("j"); }, R"(START {"jobname":"j"})"},
      {[&] { return be.stop("j"); }, R"(STOP {"jobname":"j"})"},
      {[&] { return be.restart("j"); }, R"(RESTART {"jobname":"j"})"},
      {[&] { return be.status("j"); }, R"(STATUS {"jobname":"j"})"},
      {[&] { return be.statusall(); }, "STATUSALL"},
      {[&] { return be.read("j"); }, R"(READ {"jobname":"j"})"},
      {[&] { return be.mem("j"); }, R"(MEM {"jobname":"j"})"},
      {[&] { return be.memall(); }, "MEMALL"},
      {[&] { return be.servermem(); }, "SERVERMEM"},
      {[&] { return be.serverread(); }, "SERVERREAD"},
      {[&] { return be.call("STATUSALL", Params().set("detail", true)); }, R"(STATUSALL {"detail":true})"},
  };
  expect_sent(rec, cases);
}

TEST(Backend, PluginCallsSendTheirArgumentsByName) {
  Recorder rec;
  Backend be(Options{.port = rec.server.port()});
  Params when;
  when.set("enable", true).set("condition", Params().set("i", "05"));
  std::vector<Case> cases = {
      {[&] { return be.auth_getenable(); }, "AUTH.GETENABLE"},
      {[&] { return be.auth_setenable(true); }, R"(AUTH.SETENABLE {"enable":true})"},
      {[&] { return be.auth_add("u", "p", "START,STOP"); },
       R"(AUTH.ADD {"username":"u","password":"p","privileges":"START,STOP"})"},
      {[&] { return be.auth_delete("u"); }, R"(AUTH.DELETE {"username":"u"})"},
      {[&] { return be.auth_update("u", Params().set("privileges", "*")); },
       R"(AUTH.UPDATE {"privileges":"*","username":"u"})"},
      {[&] { return be.auth_get("u"); }, R"(AUTH.GET {"username":"u"})"},
      {[&] { return be.auth_getall(); }, "AUTH.GETALL"},
      {[&] { return be.logexplorer_listdir("j"); }, R"(LOGEXPLORER.LISTDIR {"jobname":"j"})"},
      {[&] { return be.logexplorer_listfile("j", "20261125"); },
       R"(LOGEXPLORER.LISTFILE {"dirname":"20261125","jobname":"j"})"},
      {[&] { return be.logexplorer_get("j", "20261125", "2026112501.log"); },
       R"(LOGEXPLORER.GET {"dirname":"20261125","filename":"2026112501.log","jobname":"j"})"},
      {[&] { return be.logexplorer_serverlistdir(); }, "LOGEXPLORER.SERVERLISTDIR"},
      {[&] { return be.logexplorer_serverlistfile("d"); }, R"(LOGEXPLORER.SERVERLISTFILE {"dirname":"d"})"},
      {[&] { return be.logexplorer_serverget("d", "f"); },
       R"(LOGEXPLORER.SERVERGET {"dirname":"d","filename":"f"})"},
      {[&] { return be.scheduler_add("j", when); },
       R"(SCHEDULER.ADD {"enable":true,"condition":{"i":"05"},"jobname":"j"})"},
      {[&] { return be.scheduler_delete("j", "U"); }, R"(SCHEDULER.DELETE {"uuid":"U","jobname":"j"})"},
      {[&] { return be.scheduler_update("j", "U", when); },
       R"(SCHEDULER.UPDATE {"enable":true,"condition":{"i":"05"},"uuid":"U","jobname":"j"})"},
      {[&] { return be.scheduler_get("j", "U"); }, R"(SCHEDULER.GET {"uuid":"U","jobname":"j"})"},
      {[&] { return be.scheduler_getall(); }, "SCHEDULER.GETALL"},
      {[&] { return be.scheduler_getlog("j", "U"); }, R"(SCHEDULER.GETLOG {"uuid":"U","jobname":"j"})"},
  };
  expect_sent(rec, cases);
}

TEST(Backend, SetAuthAddsCredentialsUnlessTheCallCarriesItsOwn) {
  Recorder rec;
  Backend be(Options{.port = rec.server.port()});
  be.set_auth("admin", "s3cret");
  ASSERT_TRUE(be.statusall().ok());
  EXPECT_EQ(rec.last(), R"(STATUSALL {"auth":{"username":"admin","password":"s3cret"}})");
  Params own;
  own.set("auth", Params().set("username", "other").set("password", "x"));
  ASSERT_TRUE(be.start("j", own).ok());
  EXPECT_EQ(rec.last(), R"(START {"auth":{"username":"other","password":"x"},"jobname":"j"})");
}

TEST(Backend, ThreadsSharingOneBackendGetTheirOwnReplies) {
  FakeServer s([](Peer& p, int) {
    for (std::string req; !(req = p.read_request()).empty();) {
      std::string job = req.substr(req.find("\"jobname\":\"") + 11);
      job.resize(job.find('"'));
      p.write(encode_frame(R"({"code":"OK","data":")" + job + "\"}"));
    }
  });
  Backend be(Options{.port = s.port()});
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = be.status(name);
        if (!r.ok() || name != r.data().GetString()) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace backend::client
