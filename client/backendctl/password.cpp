#include "password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <optional>

#include "args.h"

namespace backendctl {
namespace {

// The terminal's settings while echo is off, restored by the signal
// handler too: Ctrl-C at a prompt must not leave the shell without echo.
int g_tty = -1;
termios g_saved;

extern "C" void restore_and_die(int signo) {
  if (g_tty >= 0) tcsetattr(g_tty, TCSAFLUSH, &g_saved);
  signal(signo, SIG_DFL);
  raise(signo);
}

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Reads one line from the terminal without echo. Only when stdin is a
// terminal: a run from a script or a shell completion fails at once
// instead of waiting for a prompt nobody sees.
std::optional<std::string> prompt_secret(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) return std::nullopt;
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios quiet;
  if (tcgetattr(fd, &g_saved) != 0) {
    close(fd);
    return std::nullopt;
  }
  quiet = g_saved;
  quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
  g_tty = fd;
  auto old_int = signal(SIGINT, restore_and_die);
  auto old_term = signal(SIGTERM, restore_and_die);
  write_all(fd, prompt);
  tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line = read_line(fd);
  tcsetattr(fd, TCSAFLUSH, &g_saved);
  write_all(fd, "\n");
  signal(SIGINT, old_int);
  signal(SIGTERM, old_term);
  g_tty = -1;
  close(fd);
  return line;
}

}  // namespace

std::string auth_password(const std::string& user) {
  if (const char* env = std::getenv("BACKEND_PASSWORD")) return env;
  auto typed = prompt_secret("Password for " + user + ": ");
  if (!typed) throw UsageError("no password for " + user + ": set BACKEND_PASSWORD or run on a terminal");
  return *typed;
}

std::string new_password(const std::string& user) {
  if (const char* env = std::getenv("BACKEND_NEW_PASSWORD")) {
    if (!*env) throw UsageError("BACKEND_NEW_PASSWORD is empty");
    return env;
  }
  auto first = prompt_secret("New password for " + user + ": ");
  if (!first) throw UsageError("no new password: set BACKEND_NEW_PASSWORD or run on a terminal");
  if (first->empty()) throw UsageError("the new password is empty");
  auto again = prompt_secret("Repeat the new password: ");
  if (!again || *again != *first) throw UsageError("the passwords do not match");
  return *first;
}

}  // namespace backendctl
