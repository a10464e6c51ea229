#include "master/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace backend::master {
namespace {

std::optional<std::string> parse(std::vector<std::string> args, Options& o) {
  args.insert(args.begin(), "backend-server");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_options(static_cast<int>(args.size()), argv.data(), o);
}

TEST(Options, DefaultsToTheEmbeddedConfigInTheForeground) {
  Options o;
  ASSERT_FALSE(parse({}, o));
  EXPECT_FALSE(o.config_file.empty());
  EXPECT_FALSE(o.daemon);
  EXPECT_FALSE(o.overrides.listen);
}

TEST(Options, ReadsEveryOption) {
  Options o;
  ASSERT_FALSE(parse({"-c", "/etc/b.conf", "--daemon", "--listen", "127.0.0.1:9", "--data-dir", "/d",
                      "--shm-name", "x", "--check-config"},
                     o));
  EXPECT_EQ(o.config_file, "/etc/b.conf");
  EXPECT_TRUE(o.daemon);
  EXPECT_EQ(*o.overrides.listen, "127.0.0.1:9");
  EXPECT_EQ(*o.overrides.data_dir, "/d");
  EXPECT_EQ(*o.overrides.shm_name, "x");
  EXPECT_TRUE(o.check_config);
}

TEST(Options, RelativePathsBecomeAbsolute) {
  Options o;
  ASSERT_FALSE(parse({"--data-dir", "rel", "-c", "c.conf"}, o));
  EXPECT_EQ(o.overrides.data_dir->front(), '/');
  EXPECT_EQ(o.config_file.front(), '/');
}

TEST(Options, BadCommandLinesAreRefused) {
  Options o;
  EXPECT_TRUE(parse({"--bogus"}, o));
  EXPECT_TRUE(parse({"--listen"}, o));
  EXPECT_TRUE(parse({"stray"}, o));
}

}  // namespace
}  // namespace backend::master
