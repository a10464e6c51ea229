#include "worker/listener/dashboard/assets.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace backend::worker::dashboard {
namespace {

// CRC-32 (IEEE), as gzip's trailer holds it.
uint32_t crc32(std::string_view bytes) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint32_t le32(std::string_view s, size_t at) {
  return uint32_t(uint8_t(s[at])) | uint32_t(uint8_t(s[at + 1])) << 8 | uint32_t(uint8_t(s[at + 2])) << 16 |
         uint32_t(uint8_t(s[at + 3])) << 24;
}

std::string extension(std::string_view path) {
  auto dot = path.rfind('.');
  return dot == std::string_view::npos ? "" : std::string(path.substr(dot + 1));
}

TEST(DashboardAssets, IndexHtmlIsThere) {
  const Asset* index = find_asset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->path, "index.html");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(index->body.empty());
  EXPECT_NE(index->body.find("<"), std::string_view::npos);
}

TEST(DashboardAssets, AppJsIsThereWhenThePageHasOne) {
  bool listed = std::any_of(assets().begin(), assets().end(), [](const Asset& a) { return a.path == "app.js"; });
  if (!listed) GTEST_SKIP() << "www/ has no app.js";
  const Asset* app = find_asset("app.js");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->content_type, "text/javascript; charset=utf-8");
  EXPECT_FALSE(app->body.empty());
}

TEST(DashboardAssets, UnknownAndEscapingPathsAreNotFound) {
  for (const char* path : {"", "/", "/index.html", "../index.html", "./index.html", "..", "../README.md",
                           "../../CMakeLists.txt", "index.html/", "INDEX.HTML", "index.htm", "nosuch.js", "README.md",
                           "www/index.html", "%2e%2e/index.html", "pages/../index.html", "index.html?x=1"})
    EXPECT_EQ(find_asset(path), nullptr) << "\"" << path << "\"";
  EXPECT_EQ(find_asset(std::string_view("index.html\0", 11)), nullptr) << "a NUL after the name";
}

TEST(DashboardAssets, AreSortedByPathAndEachIsFoundByItsPath) {
  auto all = assets();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const Asset& a, const Asset& b) { return a.path < b.path; }))
      << "find_asset's binary search needs byte order";
  for (size_t i = 1; i < all.size(); ++i) EXPECT_NE(all[i - 1].path, all[i].path);
  for (const Asset& a : all) EXPECT_EQ(find_asset(a.path), &a) << a.path;
}

TEST(DashboardAssets, EveryAssetHasTheTypeOfItsExtension) {
  const std::map<std::string, std::string> types = {
      {"html", "text/html; charset=utf-8"},  {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
      {"svg", "image/svg+xml"},              {"png", "image/png"},
      {"json", "application/json"},          {"txt", "text/plain; charset=utf-8"}};
  for (const Asset& a : assets()) {
    EXPECT_FALSE(a.content_type.empty()) << a.path;
    auto it = types.find(extension(a.path));
    ASSERT_NE(it, types.end()) << a.path << ": an extension the README does not list";
    EXPECT_EQ(a.content_type, it->second) << a.path;
  }
}

TEST(DashboardAssets, NoNotesOrEditorLeftoversAreEmbedded) {
  for (const Asset& a : assets()) {
    std::string_view name = a.path.substr(a.path.rfind('/') == std::string_view::npos ? 0 : a.path.rfind('/') + 1);
    EXPECT_FALSE(name.starts_with(".")) << a.path;
    EXPECT_FALSE(name.ends_with("~")) << a.path;
    EXPECT_FALSE(name.ends_with(".md")) << a.path;
    EXPECT_FALSE(name.ends_with(".swp")) << a.path;
    EXPECT_FALSE(a.path.starts_with("/")) << a.path;
    EXPECT_EQ(a.path.find(".."), std::string_view::npos) << a.path;
  }
}

TEST(DashboardAssets, EveryGzippedCopyIsAGzipOfTheBody) {
  for (const Asset& a : assets()) {
    ASSERT_GE(a.gzipped.size(), 18u) << a.path;  // header 10, trailer 8
    EXPECT_EQ(uint8_t(a.gzipped[0]), 0x1f) << a.path;
    EXPECT_EQ(uint8_t(a.gzipped[1]), 0x8b) << a.path;
    EXPECT_EQ(uint8_t(a.gzipped[2]), 8) << a.path << ": deflate";
    // The trailer: CRC-32 and length of what it unpacks to, which must be
    // the body byte for byte (no trailing NUL of the embedding).
    size_t n = a.gzipped.size();
    EXPECT_EQ(le32(a.gzipped, n - 4), uint32_t(a.body.size())) << a.path;
    EXPECT_EQ(le32(a.gzipped, n - 8), crc32(a.body)) << a.path;
  }
}

TEST(DashboardAssets, TextAssetsHaveNoNulByteAddedOrLost) {
  for (const Asset& a : assets()) {
    if (a.content_type.starts_with("image/png")) continue;
    EXPECT_EQ(a.body.find('\0'), std::string_view::npos) << a.path;
    EXPECT_FALSE(a.body.empty()) << a.path;
  }
}

}  // namespace
// index.html asks for every module at once (modulepreload) instead of the
// browser finding them import by import; a module missing from its list
// would still load, one round trip later, so the list is checked here.
TEST(DashboardAssets, IndexPreloadsEveryModule) {
  const Asset* index = find_asset("index.html");
  ASSERT_NE(index, nullptr);
  for (const Asset& a : assets()) {
    if (extension(a.path) != "js" || a.path == "app.js") continue;
    std::string link = "<link rel=\"modulepreload\" href=\"/ui/" + std::string(a.path) + "\">";
    EXPECT_NE(index->body.find(link), std::string_view::npos) << a.path << " is not preloaded by index.html";
  }
}

// The page's weight as a browser takes it, gzipped: everything under www/
// (the licence too) under 200 KB.
TEST(DashboardAssets, ThePageWeighsUnder200KBGzipped) {
  size_t total = 0;
  for (const Asset& a : assets()) total += a.gzipped.size();
  EXPECT_GT(total, 0u);
  EXPECT_LT(total, 200u * 1024) << total << " bytes gzipped";
}

}  // namespace backend::worker::dashboard
