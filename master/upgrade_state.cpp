#include "master/upgrade_state.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace backend::master {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void fd_list(Writer& w, const std::vector<int>& fds) {
  w.StartArray();
  for (int fd : fds) w.Int(fd);
  w.EndArray();
}

// The members of an object, each checked for its type as it is read.
struct Reader {
  const rapidjson::Value& v;
  std::string error;
  const rapidjson::Value* at(const char* key) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd()) {
      if (error.empty()) error = std::string("\"") + key + "\" is missing";
      return nullptr;
    }
    return &it->value;
  }
  template <class T>
  void integer(const char* key, T& out) {
    if (const rapidjson::Value* x = at(key)) {
      if (x->IsInt64()) out = static_cast<T>(x->GetInt64());
      else if (x->IsUint64()) out = static_cast<T>(x->GetUint64());
      else if (error.empty()) error = std::string("\"") + key + "\" is no integer";
    }
  }
  void boolean(const char* key, bool& out) {
    if (const rapidjson::Value* x = at(key)) {
      if (x->IsBool()) out = x->GetBool();
      else if (error.empty()) error = std::string("\"") + key + "\" is no boolean";
    }
  }
  void text(const char* key, std::string& out) {
    if (const rapidjson::Value* x = at(key)) {
      if (x->IsString()) out.assign(x->GetString(), x->GetStringLength());
      else if (error.empty()) error = std::string("\"") + key + "\" is no string";
    }
  }
  void fds(const char* key, std::vector<int>& out) {
    const rapidjson::Value* x = at(key);
    if (!x) return;
    if (!x->IsArray()) {
      if (error.empty()) error = std::string("\"") + key + "\" is no list";
      return;
    }
    for (const auto& fd : x->GetArray()) {
      if (!fd.IsInt() || fd.GetInt() < 0) {
        if (error.empty()) error = std::string("\"") + key + "\" holds something that is no fd";
        return;
      }
      out.push_back(fd.GetInt());
    }
  }
};

}  // namespace

std::vector<int> UpgradeState::fds() const {
  std::vector<int> all;
  for (int fd : {pidfile_fd, listen_fd, http_fd, unix_fd})
    if (fd >= 0) all.push_back(fd);
  for (const Held& h : held) all.insert(all.end(), h.fds.begin(), h.fds.end());
  return all;
}

std::string encode_upgrade_state(const UpgradeState& s) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("version");
  w.Uint(s.version);
  w.Key("from_version");
  w.String(s.from_version.c_str(), static_cast<rapidjson::SizeType>(s.from_version.size()));
  for (auto [key, fd] : {std::pair{"pidfile_fd", s.pidfile_fd}, {"listen_fd", s.listen_fd}, {"http_fd", s.http_fd},
                         {"unix_fd", s.unix_fd}}) {
    w.Key(key);
    w.Int(fd);
  }
  w.Key("unix_inode");
  w.Uint64(s.unix_inode);
  w.Key("held");
  w.StartArray();
  for (const UpgradeState::Held& h : s.held) {
    w.StartObject();
    w.Key("pid");
    w.Int(h.pid);
    w.Key("slot");
    w.Uint(h.slot);
    w.Key("ticks");
    w.Uint64(h.ticks);
    w.Key("fds");
    fd_list(w, h.fds);
    w.Key("exited");
    w.Bool(h.exited);
    w.Key("status");
    w.Int(h.status);
    w.Key("orphan");
    w.String(h.orphan.c_str(), static_cast<rapidjson::SizeType>(h.orphan.size()));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::optional<std::string> decode_upgrade_state(std::string_view text, UpgradeState& out) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return "the upgrade state is no JSON object";
  Reader r{d, {}};
  UpgradeState s;
  r.integer("version", s.version);
  if (r.error.empty() && s.version != UpgradeState::kVersion)
    return "the upgrade state is version " + std::to_string(s.version) + ", this binary takes version " +
           std::to_string(UpgradeState::kVersion);
  r.text("from_version", s.from_version);
  r.integer("pidfile_fd", s.pidfile_fd);
  r.integer("listen_fd", s.listen_fd);
  r.integer("http_fd", s.http_fd);
  r.integer("unix_fd", s.unix_fd);
  r.integer("unix_inode", s.unix_inode);
  const rapidjson::Value* held = r.at("held");
  if (held && !held->IsArray() && r.error.empty()) r.error = "\"held\" is no list";
  if (held && held->IsArray())
    for (const auto& entry : held->GetArray()) {
      if (!entry.IsObject()) {
        if (r.error.empty()) r.error = "an entry of \"held\" is no object";
        break;
      }
      Reader e{entry, {}};
      UpgradeState::Held h;
      e.integer("pid", h.pid);
      e.integer("slot", h.slot);
      e.integer("ticks", h.ticks);
      e.fds("fds", h.fds);
      e.boolean("exited", h.exited);
      e.integer("status", h.status);
      e.text("orphan", h.orphan);
      if (!e.error.empty()) {
        if (r.error.empty()) r.error = "held job: " + e.error;
        break;
      }
      s.held.push_back(std::move(h));
    }
  if (r.error.empty() && (s.pidfile_fd < 0 || s.listen_fd < 0)) r.error = "the upgrade state has no pidfile or socket";
  if (!r.error.empty()) return "the upgrade state cannot be read: " + r.error;
  out = std::move(s);
  return std::nullopt;
}

int upgrade_state_file(const UpgradeState& state, std::string& error) {
  int fd = memfd_create("backend-upgrade-state", 0);  // kept across the exec, on purpose
  if (fd < 0) {
    error = std::string("memfd_create: ") + std::strerror(errno);
    return -1;
  }
  std::string text = encode_upgrade_state(state);
  for (size_t done = 0; done < text.size();) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string("writing the upgrade state: ") + std::strerror(errno);
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

std::optional<std::string> read_upgrade_state(int fd, UpgradeState& out) {
  std::string text;
  char buf[4096];
  off_t at = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return std::string("reading the upgrade state: ") + std::strerror(errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
  }
  close(fd);
  return decode_upgrade_state(text, out);
}

}  // namespace backend::master
