// The bash completion lists commands and options by hand: these tests keep
// it in step with the command table. Suites are named backendctl*, so that
// `ctest -R backendctl` selects them.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "commands.h"

namespace backendctl {
namespace {

std::string script() {
  std::ifstream in(BACKEND_SOURCE_DIR "/client/backendctl/backendctl.bash");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The words of the `[KEY]="..."` (or `["KEY"]="..."`) line of an array,
// the first of the lines that hold options when `options` is set.
std::optional<std::set<std::string>> entry(const std::string& text, const std::string& key, bool options) {
  std::istringstream in(text);
  std::string quoted = key.find(' ') == std::string::npos ? "[" + key + "]=\"" : "[\"" + key + "\"]=\"";
  for (std::string line; std::getline(in, line);) {
    auto at = line.find(quoted);
    if (at == std::string::npos) continue;
    std::string value = line.substr(at + quoted.size());
    value = value.substr(0, value.find('"'));
    if (options != (value.rfind("-", 0) == 0)) continue;
    std::set<std::string> words;
    std::istringstream w(value);
    for (std::string word; w >> word;) words.insert(word);
    return words;
  }
  return std::nullopt;
}

std::set<std::string> spellings(const Command& c) {
  std::set<std::string> out;
  for (const auto& o : c.options) {
    out.insert("--" + std::string(o.name));
    if (o.short_name) out.insert(std::string("-") + o.short_name);
  }
  return out;
}

TEST(backendctlCompletion, OffersEveryCommand) {
  std::string text = script();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"re(local commands="([^"]*)")re"))) << "no command list";
  std::set<std::string> top;
  std::istringstream w(m[1].str());
  for (std::string word; w >> word;) top.insert(word);
  for (const auto& c : all_commands()) {
    std::string name(c.name);
    auto space = name.find(' ');
    if (space == std::string::npos) {
      EXPECT_TRUE(top.count(name)) << name;
      if (!c.alias.empty()) {
        EXPECT_TRUE(top.count(std::string(c.alias))) << c.alias;
      }
      continue;
    }
    std::string group = name.substr(0, space);
    EXPECT_TRUE(top.count(group)) << group;
    auto verbs = entry(text, group, false);
    ASSERT_TRUE(verbs) << "no verbs for " << group;
    EXPECT_TRUE(verbs->count(name.substr(space + 1))) << name;
  }
}

TEST(backendctlCompletion, OffersExactlyEachCommandsOptions) {
  std::string text = script();
  for (const auto& c : all_commands()) {
    std::set<std::string> want = spellings(c);
    auto got = entry(text, std::string(c.name), true);
    EXPECT_EQ(got.value_or(std::set<std::string>{}), want) << c.name;
    if (!c.alias.empty()) {
      EXPECT_EQ(entry(text, std::string(c.alias), true).value_or(std::set<std::string>{}), want) << c.alias;
    }
  }
}

}  // namespace
}  // namespace backendctl
