// The master's end of the listener's log pipe (worker/log_relay.h): the
// listener's server log lines are written to the hourly file from here.
#pragma once

#include <string>

#include "worker/common/log_relay.h"

namespace backend::master {

class ListenerLog {
 public:
  ListenerLog() = default;
  ListenerLog(const ListenerLog&) = delete;
  ListenerLog& operator=(const ListenerLog&) = delete;
  ~ListenerLog() { close(); }

  // A new pipe for a listener about to be forked (what a dead one left is
  // read first). Returns the write end, for the child alone to keep; -1
  // with the error sentence on failure.
  int open(std::string& error);
  // The end to poll; -1 when there is none.
  int fd() const { return read_fd_; }
  // Reads what is there, never blocking; closes at end of file. False when
  // it stopped at its bound for one turn with more perhaps left.
  bool read_available();
  // The listener died: what it wrote is all in the pipe. Reads it all.
  void drain();
  void close();

 private:
  bool read_once();

  int read_fd_ = -1;
  worker::RelayReader reader_;
};

}  // namespace backend::master
