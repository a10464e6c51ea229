#include "plugins/auth/user_store.h"

#include <memory>

#include "worker/common/pool.h"
#include "worker/common/atomic_file.h"
#include "worker/common/log.h"

namespace backend::plugins::auth {

UserStore::UserStore(uv_loop_t* loop, std::string path, Save save)
    : path_(std::move(path)), save_(save ? std::move(save) : save_here(loop, path_)) {}

std::optional<std::string> UserStore::load() {
  UserTable table;
  if (auto error = read_users(path_, table)) return error;
  std::string error;
  auto converted = convert_plaintext(table, error);
  if (!converted) return error;
  table_ = std::move(table);
  if (*converted == 0) return std::nullopt;
  // Requests are checked against the hashes from now on; the file follows.
  change([](UserTable&) { return std::nullopt; },
         [path = path_, n = *converted](const std::optional<std::string>& error) {
           if (error)
             spdlog::error("auth: cannot rewrite {} with hashed passwords: {}", path, *error);
           else
             spdlog::warn("auth: {} held {} password(s) in clear; converted to argon2id hashes",
                          path, n);
         });
  return std::nullopt;
}

void UserStore::change(Edit edit, Result result) {
  queue_.push([this, edit = std::move(edit), result = std::move(result)](
                  SerialQueue::Finished finished) { write(edit, result, std::move(finished)); });
}

void UserStore::write(Edit edit, Result result, SerialQueue::Finished finished) {
  auto next = std::make_shared<UserTable>(table_);
  if (auto error = edit(*next)) {
    result(error);
    finished();
    return;
  }
  save_(serialise_users(*next), [this, next, result = std::move(result),
                                 finished = std::move(finished)](const std::optional<std::string>& error) {
    if (!error) table_ = std::move(*next);
    result(error);
    finished();
  });
}

// Without a save handed in, the store replaces the file itself.
UserStore::Save UserStore::save_here(uv_loop_t* loop, std::string path) {
  return [loop, path = std::move(path)](std::string text, Result saved) {
    auto error = std::make_shared<std::optional<std::string>>();
    worker::run_in_pool(
        loop, [path, text = std::move(text), error] { *error = worker::replace_file(path, text); },
        [error, saved = std::move(saved)] { saved(*error); });
  };
}

}  // namespace backend::plugins::auth
