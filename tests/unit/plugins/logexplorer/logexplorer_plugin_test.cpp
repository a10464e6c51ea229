#include "plugins/logexplorer/logexplorer_plugin.h"

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/plugins/logexplorer/temp_logs.h"

namespace backend::plugins::logexplorer {
namespace {

TEST(LogExplorerPluginInfo, NameSideAndCommands) {
  const PluginInfo& info = logexplorer_plugin_info();
  EXPECT_EQ(info.name, "logexplorer");
  EXPECT_EQ(info.side, Side::kListener);
  ASSERT_EQ(info.commands.size(), 6u);
  const std::pair<std::string_view, bool> expected[] = {
      {"LOGEXPLORER.LISTDIR", true},        {"LOGEXPLORER.LISTFILE", true},
      {"LOGEXPLORER.GET", true},            {"LOGEXPLORER.SERVERLISTDIR", false},
      {"LOGEXPLORER.SERVERLISTFILE", false}, {"LOGEXPLORER.SERVERGET", false},
  };
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(info.commands[i].name, expected[i].first);
    EXPECT_EQ(info.commands[i].needs_jobname, expected[i].second) << expected[i].first;
    EXPECT_FALSE(info.commands[i].changes_state) << expected[i].first;
  }
  ASSERT_NE(info.make, nullptr);
  EXPECT_NE(dynamic_cast<LogExplorerPlugin*>(info.make().get()), nullptr);
}

class LogExplorerPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    // What a traversal would reach if it got out: the server's config
    // beside the log folder, a passwd in DATA, a folder outside.
    logs_.file("../config.json", R"({"secret": true})");
    logs_.file("../passwd", "root:x:0:0");
    logs_.file("../outside/passwd", "root:x:0:0");
    logs_.file("jobs/passwd", "root:x:0:0");
    logs_.file("jobs/web/20240101/2024010112.log", "hello\n");
    logs_.file("jobs/web/20240101/2024010112.error.log", "oops\n");
    logs_.file("jobs/web/20240101/2024010113.log", "0123456789");
    logs_.file("jobs/web/20240103/2024010300.log", "x");
    logs_.folder("jobs/web/20240102");
    logs_.symlink(logs_.root() / "outside", "jobs/web/20240104");
    logs_.symlink(logs_.root() / "outside", "jobs/linked");
    logs_.symlink(logs_.root() / "passwd", "jobs/web/20240101/2024010114.log");
    logs_.file("server/20240101/2024010100.log", "server up\n");
    logs_.file("server/20240102/2024010200.log", "server again\n");
    host_.loop = &loop_;
    host_.log_dir = logs_.log_dir();
    plugin_ = logexplorer_plugin_info().make();
    configure("{}");
    plugin_->inited(host_);
  }

  void TearDown() override {
    plugin_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  std::optional<std::string> configure(const char* json) {
    rapidjson::Document doc;
    doc.Parse(json);
    return plugin_->configure(doc);
  }

  // Sends one command and runs the loop until it is answered; checks that
  // the answer comes exactly once, on the loop's thread.
  // at_once: answered inside handle() (true), on the pool (false), or
  // either (none).
  Reply call(std::string_view command, const char* params_json, std::optional<bool> at_once = false) {
    rapidjson::Document params;
    params.Parse(params_json);
    EXPECT_FALSE(params.HasParseError()) << params_json;
    int calls = 0;
    Reply reply;
    std::thread::id thread;
    plugins::call(*plugin_, logexplorer_plugin_info(), command, params, [&](Reply r) {
      ++calls;
      reply = std::move(r);
      thread = std::this_thread::get_id();
    });
    // Good requests go to the pool, so nothing is answered before the loop
    // runs; bad ones are answered before any file is touched.
    if (at_once) {
      EXPECT_EQ(calls, *at_once ? 1 : 0) << command << " " << params_json;
    }
    params.SetNull();  // the work must not read the request after handle()
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(calls, 1) << command << " " << params_json;
    EXPECT_EQ(thread, std::this_thread::get_id());
    return reply;
  }

  uv_loop_t loop_{};
  TempLogs logs_;
  Host host_;
  std::unique_ptr<Plugin> plugin_;
};

TEST_F(LogExplorerPluginTest, ListDir) {
  Reply r = call("LOGEXPLORER.LISTDIR", R"({"jobname": "web"})");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"(["20240103","20240102","20240101"])");
}

TEST_F(LogExplorerPluginTest, ListDirOfAJobWithoutLogs) {
  Reply r = call("LOGEXPLORER.LISTDIR", R"({"jobname": "new"})");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, "[]");
}

TEST_F(LogExplorerPluginTest, ListFile) {
  Reply r = call("LOGEXPLORER.LISTFILE", R"({"jobname": "web", "dirname": "20240101"})");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"(["2024010113.log","2024010112.log","2024010112.error.log"])");
}

TEST_F(LogExplorerPluginTest, Get) {
  Reply r = call("LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240101", "filename": "2024010112.log"})");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"("hello\n")");
  EXPECT_EQ(r.error, "");
}

TEST_F(LogExplorerPluginTest, GetWithOffsetAndLength) {
  Reply r = call("LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240101", "filename": "2024010113.log",
                                        "offset": "3", "length": 4})");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"("3456")");
  EXPECT_NE(r.error.find("continue from offset 7"), std::string::npos) << r.error;
}

TEST_F(LogExplorerPluginTest, GetPastTheEnd) {
  Reply r = call("LOGEXPLORER.GET",
                 R"({"jobname": "web", "dirname": "20240101", "filename": "2024010113.log", "offset": 99})");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"("")");
}

TEST_F(LogExplorerPluginTest, GetWithANegativeOffsetIsFailed) {
  Reply r = call("LOGEXPLORER.GET",
                 R"({"jobname": "web", "dirname": "20240101", "filename": "2024010113.log", "offset": -1})", true);
  EXPECT_EQ(r.code, Code::kFailed);
  EXPECT_NE(r.error.find("offset"), std::string::npos) << r.error;
}

TEST_F(LogExplorerPluginTest, MaxBytesFromTheSettings) {
  EXPECT_EQ(configure(R"({"max_bytes": 4})"), std::nullopt);
  Reply r = call("LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240101", "filename": "2024010113.log"})");
  EXPECT_EQ(r.code, Code::kOk) << r.error;
  EXPECT_EQ(r.data, R"("0123")");
  EXPECT_EQ(r.error,
            "content cut at the limit of 4 bytes: returned 4 bytes from offset 0 of a file of 10 bytes; "
            "continue from offset 4");
  // A bad setting changes nothing.
  EXPECT_NE(configure(R"({"max_bytes": 0})"), std::nullopt);
  EXPECT_EQ(call("LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240101", "filename": "2024010113.log"})")
                .data,
            R"("0123")");
  EXPECT_NE(configure(R"({"colour": 1})")->find("colour"), std::string::npos);
}

TEST_F(LogExplorerPluginTest, ServerCommands) {
  Reply dirs = call("LOGEXPLORER.SERVERLISTDIR", "{}");
  EXPECT_EQ(dirs.code, Code::kOk) << dirs.error;
  EXPECT_EQ(dirs.data, R"(["20240102","20240101"])");
  Reply files = call("LOGEXPLORER.SERVERLISTFILE", R"({"dirname": "20240101"})");
  EXPECT_EQ(files.data, R"(["2024010100.log"])");
  Reply content = call("LOGEXPLORER.SERVERGET", R"({"dirname": "20240102", "filename": "2024010200.log"})");
  EXPECT_EQ(content.code, Code::kOk) << content.error;
  EXPECT_EQ(content.data, R"("server again\n")");
}

TEST_F(LogExplorerPluginTest, MissingOrMistypedParametersAreNamed) {
  Reply r = call("LOGEXPLORER.LISTFILE", R"({"jobname": "web"})", true);
  EXPECT_EQ(r.code, Code::kFailed);
  EXPECT_EQ(r.error, "dirname is required");
  r = call("LOGEXPLORER.SERVERGET", R"({"dirname": "20240101", "filename": 7})", true);
  EXPECT_EQ(r.code, Code::kFailed);
  EXPECT_EQ(r.error, "filename must be a string");
  r = call("LOGEXPLORER.GET", R"({"dirname": "20240101", "filename": "x"})", true);
  EXPECT_EQ(r.code, Code::kFailed);
  EXPECT_EQ(r.error, "jobname is required");
}

TEST_F(LogExplorerPluginTest, UnknownCommand) {
  Reply r = call("LOGEXPLORER.DELETE", R"({"jobname": "web"})", true);
  EXPECT_EQ(r.code, Code::kUnknown);
}

struct Traversal {
  const char* command;
  const char* params;
};

// The conformance check's traversal attempts, and a few more: each FAILED,
// with no data, whatever lies where it points.
TEST_F(LogExplorerPluginTest, EveryTraversalIsFailed) {
  const Traversal cases[] = {
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "..", "filename": "config.json"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "../..", "filename": "passwd"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "../../../../../etc/passwd", "filename": "x"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "/etc", "filename": "passwd"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "/etc/passwd", "filename": "x"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240101", "filename": "../../passwd"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240101", "filename": "/etc/passwd"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "..", "dirname": "..", "filename": "config.json"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240101", "filename": "2024010114.log"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "20240104", "filename": "passwd"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "linked", "dirname": "x", "filename": "passwd"})"},
      {"LOGEXPLORER.GET", R"({"jobname": "web", "dirname": "2024\u0000", "filename": "x"})"},
      {"LOGEXPLORER.SERVERGET", R"({"dirname": "..", "filename": "passwd"})"},
      {"LOGEXPLORER.SERVERGET", R"({"dirname": "../../../../etc", "filename": "passwd"})"},
      {"LOGEXPLORER.SERVERGET", R"({"dirname": "..", "filename": "config.json"})"},
      {"LOGEXPLORER.SERVERGET", R"({"dirname": "/etc", "filename": "passwd"})"},
      {"LOGEXPLORER.LISTFILE", R"({"jobname": "web", "dirname": ".."})"},
      {"LOGEXPLORER.LISTFILE", R"({"jobname": "web", "dirname": "/etc"})"},
      {"LOGEXPLORER.LISTFILE", R"({"jobname": "web", "dirname": "20240104"})"},
      {"LOGEXPLORER.SERVERLISTFILE", R"({"dirname": ".."})"},
      {"LOGEXPLORER.SERVERLISTFILE", R"({"dirname": "../../../../etc"})"},
      {"LOGEXPLORER.LISTDIR", R"({"jobname": "../../.."})"},
      {"LOGEXPLORER.LISTDIR", R"({"jobname": ".."})"},
      {"LOGEXPLORER.LISTDIR", R"({"jobname": "/etc"})"},
      {"LOGEXPLORER.LISTDIR", R"({"jobname": "linked"})"},
  };
  for (const auto& c : cases) {
    Reply r = call(c.command, c.params, std::nullopt);
    EXPECT_EQ(r.code, Code::kFailed) << c.command << " " << c.params;
    EXPECT_EQ(r.data, "") << c.command << " " << c.params;
    EXPECT_FALSE(r.error.empty()) << c.command << " " << c.params;
  }
}

}  // namespace
}  // namespace backend::plugins::logexplorer
