// The C++ client of backend-server: every call of the original PHP client
// (`Backend` class), with the same names and arguments, over the wire
// protocol of PROTOCOL.md.
//
//   backend::client::Backend be;
//   be.init("127.0.0.1", 13123);
//   auto r = be.add("test", "/path/to/test.php", backend::client::Params().set("writelog", true));
//   if (!r.ok()) std::cerr << r.code_text() << ": " << r.error() << "\n";
//
// Differences from the PHP class:
// - `delete` is a C++ keyword: the call is named `remove`.
// - The PHP `$setting` array is a Params object (a JSON object builder).
// - A call returns a Result: the code, the data as a JSON value, the error
//   sentence. When no reply came (connection refused, timed out, closed
//   mid-frame, a reply that is no JSON), the code is kTransport and error()
//   says what happened; nothing throws.
//
// Connections: one TCP connection is opened on the first call and reused
// (the server's keep-alive). When the server closed it meanwhile (its idle
// timeout), the next call opens a new one. A call that fails on a reused
// connection before any byte of its reply arrived is sent once more on a
// new connection: the server answers every request it read before it
// closes, so such a request was never read.
//
// Thread safety: calls on one Backend are serialised by an internal mutex,
// so one object may be shared by threads, but its calls then wait for each
// other; for calls in parallel, use one Backend per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace backend::client {

// What a call came back with.
enum class Code {
  kOk,         // "OK"
  kFailed,     // "FAILED": the server refused, error() says why
  kDenied,     // "DENIED": the auth plugin refused
  kUnknown,    // "UNKNOWN": no such command on this server
  kTransport,  // no usable reply: see error()
};

// The wire name of a code ("OK", "FAILED", "DENIED", "UNKNOWN"), and
// "TRANSPORT" for kTransport.
const char* code_name(Code code);

class Result {
 public:
  Result();
  static Result transport_error(std::string message);
  // Parses a reply payload; a payload that is no reply object gives a
  // kTransport result that says so.
  static Result from_reply(std::string payload);

  Code code() const { return code_; }
  bool ok() const { return code_ == Code::kOk; }
  const char* code_text() const { return code_name(code_); }
  // The reply's "data"; a null value when it has none.
  const rapidjson::Value& data() const;
  bool has_data() const { return has_data_; }
  // The reply's "error" sentence (an OK reply may carry a warning), or what
  // went wrong with the transport. Empty when there is none.
  const std::string& error() const { return error_; }
  // The reply exactly as received (empty for kTransport).
  const std::string& raw() const { return raw_; }

 private:
  Code code_;
  bool has_data_ = false;
  std::string error_;
  std::string raw_;
  std::shared_ptr<rapidjson::Document> doc_;  // shared: Results copy cheaply
};

// A JSON object of parameters: the PHP client's `$setting` array.
class Params {
 public:
  Params();
  Params(const Params& other);
  Params& operator=(const Params& other);
  Params(Params&&) noexcept = default;
  Params& operator=(Params&&) noexcept = default;

  // Parses a JSON object text into out; false (out untouched) when the
  // text is no JSON object.
  static bool parse(std::string_view json, Params& out);

  Params& set(std::string_view key, bool value);
  Params& set(std::string_view key, int value) { return set(key, static_cast<int64_t>(value)); }
  Params& set(std::string_view key, int64_t value);
  Params& set(std::string_view key, std::string_view value);
  Params& set(std::string_view key, const char* value) { return set(key, std::string_view(value)); }
  Params& set(std::string_view key, const std::string& value) { return set(key, std::string_view(value)); }
  Params& set(std::string_view key, const Params& object);
  Params& set(std::string_view key, const rapidjson::Value& value);
  Params& erase(std::string_view key);
  bool has(std::string_view key) const;

  const rapidjson::Value& value() const { return *doc_; }
  bool empty() const { return doc_->MemberCount() == 0; }
  std::string json() const;

 private:
  std::unique_ptr<rapidjson::Document> doc_;
};

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 13123;
  std::chrono::milliseconds connect_timeout{3000};
  // From sending a request to the whole reply. STOP waits for the job's
  // `stoptimeout` (10 s by default) before it answers: keep this above it.
  std::chrono::milliseconds call_timeout{60000};
  // Larger replies are refused (and the connection closed) before memory
  // is reserved for them.
  uint32_t max_reply_bytes = 64u * 1024 * 1024;
};

class Backend {
 public:
  Backend();
  explicit Backend(Options options);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // Server address (default 127.0.0.1:13123). Closes an open connection.
  void init(const std::string& server_ip, uint16_t server_port);
  void set_timeouts(std::chrono::milliseconds connect, std::chrono::milliseconds call);
  void set_max_reply_bytes(uint32_t bytes);
  // Credentials sent as "auth" with every later call whose setting does not
  // carry its own.
  void set_auth(const std::string& username, const std::string& password);
  // Closes the connection; the next call opens a new one.
  void close();

  // Any command, for extensions and plugins: COMMAND with params (none
  // when empty and no auth is set).
  Result call(std::string_view command, const Params& params = {});

  // --- jobs
  Result add(const std::string& jobname, const std::string& command, const Params& setting = {});
  Result remove(const std::string& jobname, const Params& setting = {});  // DELETE
  Result update(const std::string& jobname, const Params& setting = {});
  Result get(const std::string& jobname, const Params& setting = {});
  Result getall(const Params& setting = {});
  Result start(const std::string& jobname, const Params& setting = {});
  Result stop(const std::string& jobname, const Params& setting = {});
  Result restart(const std::string& jobname, const Params& setting = {});
  Result status(const std::string& jobname, const Params& setting = {});
  Result statusall(const Params& setting = {});
  Result read(const std::string& jobname, const Params& setting = {});
  Result mem(const std::string& jobname, const Params& setting = {});
  Result memall(const Params& setting = {});
  Result servermem(const Params& setting = {});
  Result serverread(const Params& setting = {});

  // --- auth plugin
  Result auth_getenable(const Params& setting = {});
  Result auth_setenable(bool enable, const Params& setting = {});
  // privileges: a comma list of commands, or "*".
  Result auth_add(const std::string& username, const std::string& password, const std::string& privileges,
                  const Params& setting = {});
  Result auth_delete(const std::string& username, const Params& setting = {});
  Result auth_update(const std::string& username, const Params& setting = {});
  Result auth_get(const std::string& username, const Params& setting = {});
  Result auth_getall(const Params& setting = {});

  // --- logexplorer plugin
  Result logexplorer_listdir(const std::string& jobname, const Params& setting = {});
  Result logexplorer_listfile(const std::string& jobname, const std::string& dirname, const Params& setting = {});
  Result logexplorer_get(const std::string& jobname, const std::string& dirname, const std::string& filename,
                         const Params& setting = {});
  Result logexplorer_serverlistdir(const Params& setting = {});
  Result logexplorer_serverlistfile(const std::string& dirname, const Params& setting = {});
  Result logexplorer_serverget(const std::string& dirname, const std::string& filename, const Params& setting = {});

  // --- scheduler plugin
  // setting: "enable" and "condition" (an object of time fields, or {"cron": "..."}).
  Result scheduler_add(const std::string& jobname, const Params& setting = {});
  Result scheduler_delete(const std::string& jobname, const std::string& uuid, const Params& setting = {});
  Result scheduler_update(const std::string& jobname, const std::string& uuid, const Params& setting = {});
  Result scheduler_get(const std::string& jobname, const std::string& uuid, const Params& setting = {});
  Result scheduler_getall(const Params& setting = {});
  Result scheduler_getlog(const std::string& jobname, const std::string& uuid, const Params& setting = {});

 private:
  class Connection;
  Result with_job(std::string_view command, const std::string& jobname, Params params);
  Result send(std::string_view command, Params params);

  std::mutex mu_;
  Options options_;
  std::string auth_user_, auth_password_;
  bool has_auth_ = false;
  std::unique_ptr<Connection> conn_;
};

}  // namespace backend::client
