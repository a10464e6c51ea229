#include "worker/supervisor/shell_words.h"

#include <gtest/gtest.h>

namespace backend::worker {
namespace {

using Words = std::vector<std::string>;

Words split(const std::string& text) {
  std::string error;
  auto words = split_shell_words(text, error);
  EXPECT_TRUE(words) << text << ": " << error;
  return words.value_or(Words{"<error>"});
}

TEST(ShellWords, SplitsAsAShellWould) {
  struct Case {
    const char* text;
    Words want;
  } cases[] = {
      {"", {}},
      {"   ", {}},
      {"a", {"a"}},
      {"  a   b\tc\nd  ", {"a", "b", "c", "d"}},
      {"one 'two words' \"three\"", {"one", "two words", "three"}},
      {"'it''s'", {"its"}},
      {"a'b'c\"d\"e", {"abcde"}},
      {"''", {""}},
      {"\"\" x", {"", "x"}},
      {"'$HOME' \"$HOME\" $HOME", {"$HOME", "$HOME", "$HOME"}},
      {";touch /tmp/x", {";touch", "/tmp/x"}},
      {"a|b && c > d", {"a|b", "&&", "c", ">", "d"}},
      {"*.txt ~ `id`", {"*.txt", "~", "`id`"}},
      {"back\\ slash", {"back slash"}},
      {"\\'quoted\\'", {"'quoted'"}},
      {"\"say \\\"hi\\\"\"", {"say \"hi\""}},
      {"\"a\\b\"", {"a\\b"}},
      {"'a\\b'", {"a\\b"}},
      {"\"\\\\\"", {"\\"}},
      {"line\\\ncontinued", {"linecontinued"}},
      {"\"keep\nnewline\"", {"keep\nnewline"}},
      {"--name=\"John Smith\" -v", {"--name=John Smith", "-v"}},
  };
  for (const auto& c : cases) EXPECT_EQ(split(c.text), c.want) << "input: " << c.text;
}

TEST(ShellWords, RefusesWhatAShellWouldNotFinish) {
  for (const char* bad : {"'open", "\"open", "a 'b", "trailing\\", "\"esc\\\""}) {
    std::string error;
    EXPECT_FALSE(split_shell_words(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace backend::worker
