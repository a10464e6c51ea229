#include "worker/supervisor/shell_words.h"

namespace backend::worker {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Inside double quotes a backslash escapes only these (POSIX 2.2.3).
bool escapable_in_double_quotes(char c) { return c == '$' || c == '`' || c == '"' || c == '\\' || c == '\n'; }

}  // namespace

std::optional<std::vector<std::string>> split_shell_words(std::string_view text, std::string& error) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // '' makes an empty word, so emptiness alone cannot tell
  size_t i = 0;
  auto fail = [&](const char* what) {
    error = std::string(what) + " in params at byte " + std::to_string(i);
    return std::nullopt;
  };
  while (i < text.size()) {
    char c = text[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) return fail("unterminated single quote");
      word.append(text.substr(i + 1, end - i - 1));
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && escapable_in_double_quotes(text[j + 1])) {
          if (text[j + 1] != '\n') word.push_back(text[j + 1]);
          ++j;
        } else {
          word.push_back(text[j]);
        }
      }
      if (j >= text.size()) return fail("unterminated double quote");
      in_word = true;
      i = j + 1;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return fail("backslash at the end");
      if (text[i + 1] != '\n') {  // backslash-newline joins lines
        word.push_back(text[i + 1]);
        in_word = true;
      }
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace backend::worker
