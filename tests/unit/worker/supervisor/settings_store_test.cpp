#include "worker/supervisor/settings_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::worker {
namespace {

using backend::testing::TempDir;

struct Loop {
  Loop() { uv_loop_init(&loop); }
  ~Loop() { uv_loop_close(&loop); }
  void run() { uv_run(&loop, UV_RUN_DEFAULT); }
  uv_loop_t loop;
};

TEST(SettingsStore, CommitsToDiskThenCallsBack) {
  TempDir d;
  Loop l;
  SettingsStore store(&l.loop, d.path + "/jobs.json");
  ASSERT_FALSE(store.load());
  store.put("a", R"({"command":"/a"})");
  std::string result = "not called";
  store.commit([&](const std::string& err) { result = err; });
  EXPECT_FALSE(store.find_saved("a"));  // not visible as saved before it is on disk
  l.run();
  EXPECT_EQ(result, "");
  ASSERT_TRUE(store.find_saved("a"));
  SettingsStore again(&l.loop, d.path + "/jobs.json");
  ASSERT_FALSE(again.load());
  ASSERT_TRUE(again.find("a"));
  EXPECT_EQ(*again.find("a"), R"({"command":"/a"})");
}

TEST(SettingsStore, ChangesDuringAWriteGoTogetherInTheNextOne) {
  TempDir d;
  Loop l;
  SettingsStore store(&l.loop, d.path + "/jobs.json");
  ASSERT_FALSE(store.load());
  int done = 0;
  for (int i = 0; i < 50; ++i) {
    store.put("j" + std::to_string(i), "{}");
    store.commit([&](const std::string& err) { done += err.empty(); });
  }
  l.run();
  EXPECT_EQ(done, 50);
  EXPECT_EQ(store.saved().size(), 50u);
}

// saved() is what each write put on disk: a write carries the changes made
// before it began (a new value, a deletion), not those made while it ran.
TEST(SettingsStore, SavedFollowsEachWriteItsChangesAndNoLater) {
  TempDir d;
  Loop l;
  SettingsStore store(&l.loop, d.path + "/jobs.json");
  ASSERT_FALSE(store.load());
  store.put("a", R"({"v":1})");
  store.put("b", R"({"v":1})");
  store.commit([](const std::string&) {});
  l.run();
  store.put("a", R"({"v":2})");
  store.erase("b");
  std::string a_then = "not called";
  bool b_then = true;
  store.commit([&](const std::string& err) {
    EXPECT_EQ(err, "");
    a_then = *store.find_saved("a");
    b_then = store.find_saved("b") != nullptr;
  });
  store.put("a", R"({"v":3})");  // the first write has begun: this goes in the next
  store.put("c", R"({"v":1})");
  store.commit([](const std::string& err) { EXPECT_EQ(err, ""); });
  EXPECT_EQ(*store.find_saved("a"), R"({"v":1})");
  l.run();
  EXPECT_EQ(a_then, R"({"v":2})");
  EXPECT_FALSE(b_then);
  EXPECT_EQ(*store.find_saved("a"), R"({"v":3})");
  EXPECT_EQ(*store.find_saved("c"), R"({"v":1})");
  EXPECT_EQ(store.saved(), store.jobs());
  std::string err;
  JobMap on_disk;
  ASSERT_FALSE(parse_jobs_file(*read_file(d.path + "/jobs.json", err), on_disk));
  EXPECT_EQ(on_disk, store.saved());
}

TEST(SettingsStore, AFailedWriteRevertsToWhatIsOnDisk) {
  TempDir d;
  Loop l;
  std::string path = d.path + "/jobs.json";
  SettingsStore store(&l.loop, path);
  ASSERT_FALSE(store.load());
  store.put("kept", "{}");
  store.commit([](const std::string&) {});
  l.run();
  // A folder where the file's temporary must go makes the next write fail.
  mkdir((path + ".tmp." + std::to_string(getpid())).c_str(), 0700);
  store.put("lost", "{}");
  std::string result;
  store.commit([&](const std::string& err) { result = err; });
  l.run();
  EXPECT_NE(result, "");
  EXPECT_FALSE(store.find("lost"));
  EXPECT_TRUE(store.find("kept"));
  std::string err;
  JobMap on_disk;
  ASSERT_FALSE(parse_jobs_file(*read_file(path, err), on_disk));
  EXPECT_EQ(on_disk.count("kept"), 1u);
  EXPECT_EQ(on_disk.count("lost"), 0u);
  // Once the disk takes writes again, the next carries only what came after.
  rmdir((path + ".tmp." + std::to_string(getpid())).c_str());
  store.put("later", "{}");
  store.commit([&](const std::string& e) { result = e; });
  l.run();
  EXPECT_EQ(result, "");
  EXPECT_FALSE(store.find_saved("lost"));
  ASSERT_FALSE(parse_jobs_file(*read_file(path, err), on_disk));
  EXPECT_EQ(on_disk, store.saved());
  EXPECT_EQ(on_disk.size(), 2u);
}

TEST(SettingsStore, LoadDropsTemporariesOfKilledWriters) {
  TempDir d;
  Loop l;
  std::string path = d.path + "/jobs.json";
  std::ofstream(path + ".tmp.12345") << "{\"half";
  std::ofstream(path) << R"({"a": {}})";
  SettingsStore store(&l.loop, path);
  ASSERT_FALSE(store.load());
  EXPECT_TRUE(store.find("a"));
  EXPECT_NE(access((path + ".tmp.12345").c_str(), F_OK), 0);
}

TEST(SettingsStore, ABrokenFileIsRefusedAtLoadNotOverwritten) {
  TempDir d;
  Loop l;
  std::string path = d.path + "/jobs.json";
  std::ofstream(path) << "{ broken";
  SettingsStore store(&l.loop, path);
  EXPECT_TRUE(store.load());
  std::string err;
  EXPECT_EQ(*read_file(path, err), "{ broken");
}

}  // namespace
}  // namespace backend::worker
