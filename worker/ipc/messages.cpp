#include "worker/ipc/messages.h"

#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace backend::worker {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// Space-separated fields, read front to back; any misstep fails the whole.
class Fields {
 public:
  explicit Fields(std::string_view text) : rest_(text) {}

  std::string_view word() {
    if (!ok_ || rest_.empty()) return fail();
    auto space = rest_.find(' ');
    std::string_view w = rest_.substr(0, space);
    // A space is always followed by a field: "HOLD 1 2 3 " is no message.
    if (w.empty() || space + 1 == rest_.size()) return fail();
    rest_ = space == std::string_view::npos ? std::string_view() : rest_.substr(space + 1);
    return w;
  }

  // In the one form encode() writes: no leading zero, no "-0".
  template <class T>
  T number() {
    std::string_view w = word();
    std::string_view digits = w.starts_with('-') ? w.substr(1) : w;
    if (digits.empty() || (digits[0] == '0' && w.size() > 1)) ok_ = false;
    T value{};
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), value);
    if (!ok_ || ec != std::errc() || end != w.data() + w.size()) ok_ = false;
    return value;
  }

  pid_t pid() {
    pid_t p = number<pid_t>();
    if (p <= 0) ok_ = false;
    return p;
  }

  // One of two words, as a flag: true for `yes`.
  bool choice(std::string_view yes, std::string_view no) {
    std::string_view w = word();
    if (w != yes && w != no) ok_ = false;
    return w == yes;
  }

  // Whatever is left, at least one byte.
  std::string rest() {
    if (rest_.empty()) ok_ = false;
    return std::string(std::exchange(rest_, {}));
  }

  // True when every field read well and nothing is left over.
  bool done() const { return ok_ && rest_.empty(); }

 private:
  std::string_view fail() {
    ok_ = false;
    return {};
  }
  std::string_view rest_;
  bool ok_ = true;
};

std::string join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

using std::to_string;

}  // namespace

std::string encode(const ControlMessage& message) {
  return std::visit(
      Overloaded{
          [](const Prepare& m) { return join({"PREPARE", to_string(m.slot)}); },
          [](const Unprepare& m) { return join({"UNPREPARE", to_string(m.slot)}); },
          [](const Hold& m) { return join({"HOLD", to_string(m.pid), to_string(m.slot), to_string(m.ticks)}); },
          [](const Release& m) { return join({"RELEASE", to_string(m.pid)}); },
          [](const Take& m) { return join({"TAKE", to_string(m.supervisor)}); },
          [](const Held& m) {
            return join({"HELD", to_string(m.supervisor), to_string(m.pid), to_string(m.slot), to_string(m.ticks),
                         m.exited ? "exited " + to_string(m.status) : "running"});
          },
          [](const Orphan& m) {
            return join({"ORPHAN", to_string(m.supervisor), to_string(m.pid), to_string(m.ticks),
                         m.alive ? "running" : "gone", m.name});
          },
          [](const Taken& m) { return join({"TAKEN", to_string(m.supervisor)}); },
          [](const Exit& m) { return join({"EXIT", to_string(m.pid), to_string(m.status)}); },
      },
      message);
}

std::string encode(const Hello& hello) { return join({"HELLO", to_string(hello.taken)}); }

std::optional<ControlMessage> decode_control(std::string_view text) {
  Fields in(text);
  std::string_view verb = in.word();
  std::optional<ControlMessage> out;
  if (verb == "PREPARE") {
    out = Prepare{in.number<uint32_t>()};
  } else if (verb == "UNPREPARE") {
    out = Unprepare{in.number<uint32_t>()};
  } else if (verb == "HOLD") {
    Hold m;
    m.pid = in.pid();
    m.slot = in.number<uint32_t>();
    m.ticks = in.number<uint64_t>();
    out = m;
  } else if (verb == "RELEASE") {
    out = Release{in.pid()};
  } else if (verb == "TAKE") {
    out = Take{in.pid()};
  } else if (verb == "HELD") {
    Held m;
    m.supervisor = in.pid();
    m.pid = in.pid();
    m.slot = in.number<uint32_t>();
    m.ticks = in.number<uint64_t>();
    m.exited = in.choice("exited", "running");
    if (m.exited) m.status = in.number<int>();
    out = m;
  } else if (verb == "ORPHAN") {
    Orphan m;
    m.supervisor = in.pid();
    m.pid = in.pid();
    m.ticks = in.number<uint64_t>();
    m.alive = in.choice("running", "gone");
    m.name = in.rest();
    out = std::move(m);
  } else if (verb == "TAKEN") {
    out = Taken{in.pid()};
  } else if (verb == "EXIT") {
    Exit m;
    m.pid = in.pid();
    m.status = in.number<int>();
    out = m;
  }
  if (!in.done()) return std::nullopt;
  return out;
}

std::optional<Hello> decode_hello(std::string_view text) {
  Fields in(text);
  if (in.word() != "HELLO") return std::nullopt;
  Hello hello{in.number<uint64_t>()};
  if (!in.done()) return std::nullopt;
  return hello;
}

std::string encode(const SaveFile& save) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  for (auto [key, value] : {std::pair{"plugin", &save.plugin}, {"file", &save.file}, {"content", &save.content}}) {
    w.Key(key);
    w.String(value->data(), static_cast<rapidjson::SizeType>(value->size()));
  }
  w.EndObject();
  return sb.GetString();
}

std::optional<std::string> decode_save_file(std::string_view json, SaveFile& out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::string("a file to save must be a JSON object");
  SaveFile save;
  for (auto [key, field] : {std::pair{"plugin", &save.plugin}, {"file", &save.file}, {"content", &save.content}}) {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) return std::string(key) + " must be a string";
    field->assign(it->value.GetString(), it->value.GetStringLength());
  }
  out = std::move(save);
  return std::nullopt;
}

}  // namespace backend::worker
