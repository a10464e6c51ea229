// What a plugin is: a class with the original project's hooks (server
// inited, command received, command finished), the commands NAME.VERB it
// owns, and the side it runs on. The workers know plugins only through this
// header; the list of plugins is handed to them (plugins/registry.h), so a
// new plugin joins without a change to the server's core.
//
// Every hook runs on the loop of its side and must not block it: file work
// goes to libuv's thread pool (worker/common/pool.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <uv.h>

#include "protocol/commands.h"
#include "protocol/response.h"
#include "shm/segment.h"

namespace backend::plugins {

using protocol::Code;
using protocol::CoreCommand;
using protocol::Side;

// True when `command` is the core command `id` (for finished(), which sees
// every command by the name the client sent).
inline bool is(std::string_view command, CoreCommand id) { return command == protocol::command_name(id); }

// One reply: data is serialised JSON (empty: no "data" key).
struct Reply {
  Code code = Code::kOk;
  std::string data;
  std::string error;
};
using Done = std::function<void(Reply)>;

// What a plugin says of a request it received: go on (nothing set), refuse
// it now with a reply, or decide later: the host then calls `later` with
// where to say it (nullopt: go on; a reply: refused). Only the slow path
// pays for the closure.
using Decided = std::function<void(std::optional<Reply> refusal)>;
struct Verdict {
  std::optional<Reply> refusal;
  std::function<void(Decided)> later;
};

class Plugin;

// How one of a plugin's commands is answered (params without "auth"). done
// may be called later, but exactly once.
using Handler = void (*)(Plugin& plugin, const rapidjson::Value& params, Done done);

struct CommandSpec {
  std::string_view name;  // "SCHEDULER.ADD": upper case, the plugin's name first
  bool needs_jobname;     // FAILED before the plugin sees it when missing or bad
  bool changes_state;     // logged as a change (and its result) like ADD is
  Handler handler;
};

// A Handler that calls a member function of the plugin's own class:
// {"SCHEDULER.ADD", true, true, handler<&SchedulerPlugin::add_command>}.
template <class C>
struct HandlerOf;
template <class C>
struct HandlerOf<void (C::*)(const rapidjson::Value&, Done)> {
  using Class = C;
};
template <auto method>
void handler(Plugin& plugin, const rapidjson::Value& params, Done done) {
  using Class = typename HandlerOf<decltype(method)>::Class;
  (static_cast<Class&>(plugin).*method)(params, std::move(done));
}

// What the supervisor lets plugins do with jobs.
class JobControl {
 public:
  using Result = std::function<void(Code code, const std::string& error)>;
  virtual ~JobControl() = default;
  // Names of every saved job.
  virtual std::vector<std::string> job_names() const = 0;
  // A job's saved settings as JSON; nullptr when there is no such job.
  virtual const std::string* settings(const std::string& job) const = 0;
  virtual bool running(const std::string& job) const = 0;
  // START, as a client's START would do it (logged, serialised with other
  // commands on the job), for `reason` (counted, and kept with the run);
  // result as the client would get it.
  virtual void start(const std::string& job, shm::StartReason reason, Result result) = 0;

  // The cluster agent's (plugins/cluster): a job's whole settings, a JSON
  // object as ADD takes them, given to a new job or replacing an existing
  // one's; then STOP and DELETE. Each is logged and saved as a client's
  // would be, and answered once saved.
  virtual void put(const std::string& job, const std::string& settings, Result result) = 0;
  virtual void stop(const std::string& job, Result result) = 0;
  virtual void remove(const std::string& job, Result result) = 0;
};

// What the host hands a plugin when the server is up.
struct Host {
  uv_loop_t* loop = nullptr;
  const shm::Segment* segment = nullptr;
  std::string data_dir;  // the plugin's own folder, DATA_DIR/plugins/NAME (created)
  std::string log_dir;   // DATA_DIR/log: jobs/NAME/DAY/HOUR.log, server/DAY/HOUR.log
  // True when the server itself starts; false when a worker that died was
  // started again by the master (autostart must not run then).
  bool server_start = true;
  JobControl* jobs = nullptr;  // supervisor side only
  // Replaces a file of the plugin's own folder whole, with the supervisor's
  // rights: a listener plugin may run as a user that may not write there
  // (listener_user). Unset: the plugin writes its files itself.
  using Saved = std::function<void(const std::optional<std::string>& error)>;
  std::function<void(const std::string& file, std::string content, Saved saved)> save_file;
};

// A job's exit as the supervisor saw it.
struct JobExit {
  std::string job;
  bool requested;    // by STOP, RESTART or the server stopping
  int64_t uptime_s;  // how long the process ran, 0 when unknown
};

class Plugin {
 public:
  virtual ~Plugin() = default;

  // Checks the plugin's settings block (an empty object when the config has
  // none) and takes it. Called before inited() and on every SIGHUP; on an
  // error the sentence names the setting, and nothing has changed.
  virtual std::optional<std::string> configure(const rapidjson::Value& settings) = 0;

  // Server inited: the job table holds the saved jobs.
  virtual void inited(Host& host) = 0;

  // Command received, before the command runs (any command, its own ones
  // too). params still hold "auth". A refusal answers the request instead
  // (auth's DENIED). Listener side only.
  virtual Verdict received(std::string_view command, const rapidjson::Value& params) {
    (void)command, (void)params;
    return {};
  }

  // Command finished, with its result code: every command the supervisor
  // answers (the core commands that change jobs, and the supervisor
  // plugins' own). Supervisor side only.
  virtual void finished(std::string_view command, const rapidjson::Value& params, Code code) {
    (void)command, (void)params, (void)code;
  }

  // A job's process exited (supervisor side).
  virtual void job_exited(const JobExit& exit) { (void)exit; }

  // The server is stopping and every job has stopped (supervisor side):
  // last words to the outside (the cluster agent revokes its lease, so its
  // jobs move at once). done is called once, soon: the stop waits for it.
  virtual void stopped(std::function<void()> done) { done(); }

  // The loop is ending: close every handle; the loop runs until they are.
  virtual void close() {}
};

// A plugin as the registry knows it before any is made.
struct PluginInfo {
  std::string_view name;  // lower case, as in autoload_plugins
  Side side;
  std::span<const CommandSpec> commands;
  std::unique_ptr<Plugin> (*make)();
};

// One of the plugin's commands by name; nullptr when it has none of that name.
inline const CommandSpec* find_command(const PluginInfo& info, std::string_view name) {
  for (const CommandSpec& spec : info.commands)
    if (spec.name == name) return &spec;
  return nullptr;
}

// Answers a command by name with the plugin's handler (UNKNOWN when it has
// none of that name): what the workers' command table does, for tests and
// tools that hold one plugin.
inline void call(Plugin& plugin, const PluginInfo& info, std::string_view command, const rapidjson::Value& params,
                 Done done) {
  const CommandSpec* spec = find_command(info, command);
  if (!spec) return done({Code::kUnknown, {}, "not a command of the " + std::string(info.name) + " plugin"});
  spec->handler(plugin, params, std::move(done));
}

}  // namespace backend::plugins
