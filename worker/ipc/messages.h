// Every message the processes send each other but the client requests and
// replies the listener forwards, one struct each, with one encoder and one
// decoder. The control socket between the supervisor and
// the master (worker/ipc/control.h) is the crash-recovery path: it lends
// the master each job's pipes, gives them back to the next supervisor and
// brings the exits the master reaped. Hello and SaveFile travel the
// listener channel (worker/ipc/channel.h), each as a kind of its own.
//
//   supervisor -> master   Prepare (+ the job's pipes and stage, before the
//                          spawn), Unprepare (the spawn failed), Hold (+ fds
//                          when not prepared), Release, Take
//   master -> supervisor   Held (+ fds), Orphan, Taken, Exit
//   supervisor -> listener Hello
//   listener -> supervisor SaveFile
//
// Held, Orphan and Taken answer one Take, addressed to the supervisor that
// sent it: a dead one's unread answer is not taken by the next as its own.
// The text form ("HOLD 4242 7 123456") reads well in strace and in a log;
// the decoder takes nothing but what encode() makes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace backend::worker {

// The pipes of a job about to be spawned in `slot` (out, err, stage).
struct Prepare {
  uint32_t slot = 0;
};
// The spawn for `slot` failed: the prepared pipes may go.
struct Unprepare {
  uint32_t slot = 0;
};
// The job in `slot` runs as `pid`, which started at `ticks` (worker/common/
// proc_info.h); its pipes are the prepared ones, or come with the message.
struct Hold {
  pid_t pid = 0;
  uint32_t slot = 0;
  uint64_t ticks = 0;
};
// The supervisor has read the job's pipes to their end: the master's
// copies may close.
struct Release {
  pid_t pid = 0;
};
// A new supervisor asks for whatever its predecessor left running.
struct Take {
  pid_t supervisor = 0;
};
// One job the master held, handed back with its pipes; `exited` with the
// status the master reaped.
struct Held {
  pid_t supervisor = 0;
  pid_t pid = 0;
  uint32_t slot = 0;
  uint64_t ticks = 0;
  bool exited = false;
  int status = 0;
};
// A job a killed server left behind (master/orphaned_jobs.h), by name, as
// the new table has other slots; it comes with no pipes.
struct Orphan {
  pid_t supervisor = 0;
  pid_t pid = 0;
  uint64_t ticks = 0;
  bool alive = false;
  std::string name;
};
// Every Held and Orphan for this Take has been sent.
struct Taken {
  pid_t supervisor = 0;
};
// A job's process was reaped. By the master, which tells the supervisor
// (it is the jobs' subreaper once their supervisor died); or by the
// supervisor, which tells the master while it still reads the job's pipes
// (a process the job left holds them), so that the master, asked by a
// successor, hands the job back as exited.
struct Exit {
  pid_t pid = 0;
  int status = 0;
};
// A new supervisor tells the listener the last request id its predecessor
// took (0: none): those up to it will never be answered.
struct Hello {
  uint64_t taken = 0;
};

// The listener asks the supervisor to replace a file of one of its
// plugins' folders (worker/supervisor/plugin_files.h): the listener may
// serve as a user that may write nothing. A channel message of its own
// kind, which no client request can become. JSON, as the content may hold
// any byte.
struct SaveFile {
  std::string plugin;
  std::string file;
  std::string content;
};

using ControlMessage = std::variant<Prepare, Unprepare, Hold, Release, Take, Held, Orphan, Taken, Exit>;

std::string encode(const ControlMessage& message);
std::string encode(const Hello& hello);
std::string encode(const SaveFile& save);

// nullopt for anything encode() does not make: an unknown verb, a missing,
// extra or out-of-range field.
std::optional<ControlMessage> decode_control(std::string_view text);
std::optional<Hello> decode_hello(std::string_view text);
// The error sentence when the text is no SaveFile (names the field).
std::optional<std::string> decode_save_file(std::string_view json, SaveFile& out);

}  // namespace backend::worker
