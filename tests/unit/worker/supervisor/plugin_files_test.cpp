#include "worker/supervisor/plugin_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::worker {
namespace {

using backend::testing::TempDir;

const std::vector<plugins::PluginInfo>& two_plugins() {
  static const std::vector<plugins::PluginInfo> all{
      {"auth", plugins::Side::kListener, {}, nullptr},
      {"scheduler", plugins::Side::kSupervisor, {}, nullptr},
  };
  return all;
}

// As the supervisor gets it: encoded by the listener, decoded.
std::optional<std::string> target(const SaveFile& sent, std::string& path, std::string& content) {
  SaveFile save;
  if (auto err = decode_save_file(encode(sent), save)) return err;
  content = save.content;
  return plugin_file_target(save, two_plugins(), "/data", path);
}

TEST(PluginFiles, ARequestNamesAPlainFileOfAListenerPlugin) {
  std::string path, content;
  ASSERT_FALSE(target({"auth", "users.json", "{\"a\":\"\\n\"}"}, path, content));
  EXPECT_EQ(path, "/data/plugins/auth/users.json");
  EXPECT_EQ(content, "{\"a\":\"\\n\"}");
}

TEST(PluginFiles, AnythingElseIsRefusedWithTheReason) {
  std::string path, content;
  struct Case {
    const char* plugin;
    const char* file;
    const char* reason;
  };
  for (Case c : {Case{"scheduler", "schedules.json", "no plugin of the listener"},
                 Case{"nosuch", "x", "no plugin of the listener"}, Case{"auth", "../jobs.json", "no plain file name"},
                 Case{"auth", ".hidden", "no plain file name"}, Case{"auth", "a/b", "no plain file name"},
                 Case{"auth", "", "no plain file name"}}) {
    auto err = target({c.plugin, c.file, "x"}, path, content);
    ASSERT_TRUE(err) << c.plugin << "/" << c.file;
    EXPECT_NE(err->find(c.reason), std::string::npos) << *err;
  }
  SaveFile save;
  auto err = decode_save_file(R"({"plugin":"auth","file":"users.json","content":5})", save);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "content must be a string");
}

TEST(PluginFiles, TheFileIsReplacedWholeAndSharedOnlyWithTheGroupGiven) {
  TempDir d;
  uv_loop_t loop;
  uv_loop_init(&loop);
  // The pool runs them in any order: each keeps its own result.
  std::vector<std::optional<std::string>> results(3, "not answered");
  auto keep = [&](size_t i) { return [&results, i](std::optional<std::string> e) { results[i] = std::move(e); }; };
  write_plugin_file(&loop, d.path + "/private", "one", std::nullopt, keep(0));
  write_plugin_file(&loop, d.path + "/shared", "two", getgid(), keep(1));
  write_plugin_file(&loop, d.path + "/missing/x", "three", std::nullopt, keep(2));
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(uv_loop_close(&loop), 0);
  EXPECT_FALSE(results[0]);
  EXPECT_FALSE(results[1]);
  ASSERT_TRUE(results[2]);
  EXPECT_NE(results[2]->find("missing"), std::string::npos) << *results[2];
  struct stat st {};
  ASSERT_EQ(stat((d.path + "/private").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(stat((d.path + "/shared").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_gid, getgid());
  std::string error;
  EXPECT_EQ(read_file(d.path + "/shared", error).value_or(""), "two");
}

}  // namespace
}  // namespace backend::worker
