// The user table in memory and on disk. Changes take effect only once the
// file holding them is written, so a reply never claims what a restart
// would lose.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <uv.h>

#include "plugins/serial_queue.h"
#include "plugins/auth/users.h"

namespace backend::plugins::auth {

class UserStore {
 public:
  // Applied at its turn to a copy of the table; an error sentence refuses
  // the change.
  using Edit = std::function<std::optional<std::string>(UserTable& table)>;
  using Result = std::function<void(const std::optional<std::string>& error)>;

  // Writes the whole file; unset, the store writes it on the thread pool
  // itself. In the server it is the host's save_file (the supervisor).
  using Save = std::function<void(std::string text, Result saved)>;

  UserStore(uv_loop_t* loop, std::string path, Save save = {});

  // Reads the file on the calling thread: it is small, read once, and must
  // be in place before the first request is checked. Plaintext passwords
  // from the original are hashed here and the file is written again.
  std::optional<std::string> load();

  const UserTable& table() const { return table_; }

  // Edits a copy, writes it on the thread pool, and makes it the table only
  // when the write succeeded; result gets the edit's or the write's error.
  void change(Edit edit, Result result);

 private:
  void write(Edit edit, Result result, SerialQueue::Finished finished);
  static Save save_here(uv_loop_t* loop, std::string path);

  std::string path_;
  Save save_;
  UserTable table_;
  SerialQueue queue_;
};

}  // namespace backend::plugins::auth
