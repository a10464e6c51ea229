#include "args.h"

#include <algorithm>
#include <charconv>

namespace backendctl {
namespace {

// Connection and auth options are read before the command only, so that a
// job option can never be taken for one of them; say so rather than
// "unknown option".
constexpr std::string_view kBeforeCommandOnly[] = {"host", "port", "user", "timeout", "version"};

[[noreturn]] void unknown_option(std::string_view spelled, std::string_view name) {
  bool global =
      std::find(std::begin(kBeforeCommandOnly), std::end(kBeforeCommandOnly), name) != std::end(kBeforeCommandOnly);
  if (global && spelled.starts_with("--"))
    throw UsageError(std::string(spelled) + " is a global option: give it before the command");
  throw UsageError("unknown option " + std::string(spelled));
}

const OptionSpec* find_long(const std::vector<OptionSpec>& specs, std::string_view name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

const OptionSpec* find_short(const std::vector<OptionSpec>& specs, char c) {
  for (const auto& s : specs)
    if (s.short_name == c) return &s;
  return nullptr;
}

class Parser {
 public:
  Parser(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) : args_(args), specs_(specs) {}

  ParsedArgs run(StopAt stop) {
    bool options_done = false;
    for (i_ = 0; i_ < args_.size(); ++i_) {
      const std::string& a = args_[i_];
      if (options_done || a == "-" || !a.starts_with("-")) {
        out_.positionals.push_back(a);
        if (stop == StopAt::kPositional) options_done = true;
      } else if (a == "--") {
        options_done = true;
      } else if (a.starts_with("--")) {
        long_option(a);
      } else {
        short_option(a);
      }
    }
    return std::move(out_);
  }

 private:
  void long_option(const std::string& a) {
    std::string_view body = std::string_view(a).substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    if (body == "help") return set_help();
    if (body == "json") {
      if (inline_value) throw UsageError("--json takes no value");
      out_.json = true;
      return;
    }
    const OptionSpec* spec = find_long(specs_, body);
    if (!spec) unknown_option("--" + std::string(body), body);
    if (!spec->takes_value && inline_value) throw UsageError("--" + std::string(body) + " takes no value");
    add(*spec, "--" + std::string(body), std::move(inline_value));
  }

  void short_option(const std::string& a) {
    char c = a[1];
    if (c == 'h' && a.size() == 2) return set_help();
    const OptionSpec* spec = find_short(specs_, c);
    if (!spec) unknown_option(a, "");
    std::optional<std::string> attached;
    if (a.size() > 2) {
      if (!spec->takes_value) throw UsageError("unknown option " + a);
      attached = a.substr(2);
    }
    add(*spec, std::string("-") + c, std::move(attached));
  }

  void add(const OptionSpec& spec, const std::string& spelled, std::optional<std::string> value) {
    if (spec.takes_value && !value) {
      if (i_ + 1 >= args_.size()) throw UsageError(spelled + " needs a value");
      value = args_[++i_];
    }
    out_.options.push_back({std::string(spec.name), value.value_or("")});
  }

  void set_help() { out_.help = true; }

  const std::vector<std::string>& args_;
  const std::vector<OptionSpec>& specs_;
  size_t i_ = 0;
  ParsedArgs out_;
};

}  // namespace

bool ParsedArgs::has(std::string_view name) const {
  return std::any_of(options.begin(), options.end(), [&](const ParsedOption& o) { return o.name == name; });
}

std::optional<std::string> ParsedArgs::value(std::string_view name) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it)
    if (it->name == name) return it->value;
  return std::nullopt;
}

std::vector<std::string> ParsedArgs::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& o : options)
    if (o.name == name) out.push_back(o.value);
  return out;
}

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs, StopAt stop) {
  return Parser(args, specs).run(stop);
}

int64_t parse_int(std::string_view what, std::string_view text, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    throw UsageError(std::string(what) + " must be a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not \"" + std::string(text) + "\"");
  return v;
}

}  // namespace backendctl
