#include "plugins/auth/user_store.h"

#include <gtest/gtest.h>

#include "plugins/auth/password.h"
#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"

namespace backend::plugins::auth {
namespace {

class AuthUserStore : public ::testing::Test {
 protected:
  AuthUserStore() { uv_loop_init(&loop); }
  ~AuthUserStore() override {
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
  }

  std::string file() const { return dir.path + "/users.json"; }
  std::string on_disk() const {
    std::string error;
    return worker::read_file(file(), error).value_or("");
  }

  uv_loop_t loop;
  backend::testing::TempDir dir;
};

UserStore::Edit add_user(std::string name) {
  return [name](UserTable& t) -> std::optional<std::string> {
    if (t.find(name)) return "exists";
    t.users.emplace(name, User{"$argon2id$fake", Privileges{true, {}}, {}});
    return std::nullopt;
  };
}

TEST_F(AuthUserStore, ChangeIsVisibleOnlyOnceWritten) {
  UserStore store(&loop, file());
  ASSERT_FALSE(store.load());
  bool answered = false;
  store.change(add_user("alice"), [&](const std::optional<std::string>& error) {
    EXPECT_FALSE(error);
    EXPECT_NE(on_disk().find("\"alice\""), std::string::npos);
    answered = true;
  });
  EXPECT_FALSE(store.table().find("alice"));  // the write has not happened yet
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(answered);
  EXPECT_TRUE(store.table().find("alice"));
}

TEST_F(AuthUserStore, ChangesApplyInTurnOnTheLatestTable) {
  UserStore store(&loop, file());
  ASSERT_FALSE(store.load());
  std::vector<std::optional<std::string>> results;
  auto keep = [&](const std::optional<std::string>& e) { results.push_back(e); };
  store.change(add_user("alice"), keep);
  store.change(add_user("alice"), keep);  // sees the first one's result
  store.change(add_user("bob"), keep);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], "exists");
  EXPECT_FALSE(results[2]);
  UserTable back;
  ASSERT_FALSE(read_users(file(), back));
  EXPECT_EQ(back.users.size(), 2u);
}

TEST_F(AuthUserStore, FailedWriteChangesNothing) {
  UserStore store(&loop, dir.path + "/missing/users.json");
  ASSERT_FALSE(store.load());
  std::optional<std::string> error;
  store.change(add_user("alice"), [&](const std::optional<std::string>& e) { error = e; });
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("missing"), std::string::npos) << *error;
  EXPECT_FALSE(store.table().find("alice"));
}

TEST_F(AuthUserStore, LoadConvertsPlaintextAndRewritesTheFile) {
  ASSERT_FALSE(worker::replace_file(
      file(),
      "{\"enable\":true,\"users\":{\"old\":{\"password\":\"clear-pw\",\"privileges\":\"*\"}}}"));
  UserStore store(&loop, file());
  ASSERT_FALSE(store.load());
  EXPECT_TRUE(is_password_hash(store.table().find("old")->hash));
  uv_run(&loop, UV_RUN_DEFAULT);
  std::string text = on_disk();
  EXPECT_EQ(text.find("clear-pw"), std::string::npos) << text;
  UserTable back;
  ASSERT_FALSE(parse_users(text, back));
  EXPECT_TRUE(back.enabled);
  EXPECT_TRUE(verify_password(back.find("old")->hash, "clear-pw"));
}

TEST_F(AuthUserStore, LoadReportsABrokenFile) {
  ASSERT_FALSE(worker::replace_file(file(), "{\"users\":"));
  UserStore store(&loop, file());
  auto error = store.load();
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("users.json"), std::string::npos);
  EXPECT_EQ(on_disk(), "{\"users\":");  // left for a human to repair
}

// In the server the supervisor writes the file: the store hands the text
// over and takes the change only when the save succeeded.
TEST_F(AuthUserStore, ASaveHandedInIsUsedAndItsFailureChangesNothing) {
  std::vector<std::string> saved;
  std::optional<std::string> fail;
  UserStore store(&loop, file(), [&](std::string text, UserStore::Result done) {
    saved.push_back(std::move(text));
    done(fail);
  });
  ASSERT_FALSE(store.load());
  std::vector<std::optional<std::string>> results;
  auto keep = [&](const std::optional<std::string>& e) { results.push_back(e); };
  store.change(add_user("alice"), keep);
  fail = "the supervisor stopped";
  store.change(add_user("bob"), keep);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], "the supervisor stopped");
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_NE(saved[0].find("\"alice\""), std::string::npos) << saved[0];
  EXPECT_TRUE(store.table().find("alice"));
  EXPECT_FALSE(store.table().find("bob"));
  EXPECT_EQ(on_disk(), "") << "the store wrote the file itself";
}

}  // namespace
}  // namespace backend::plugins::auth
