// The server's own output: spdlog to hourly files log/server/YYYYMMDD/
// YYYYMMDDHH.log, to the SERVERREAD ring, and to stderr in the foreground.
// Every process logs through it; lines carry the original's time prefix.
#pragma once

#include <string>
#include <string_view>

#include "protocol/response.h"
#include "shm/ring.h"

namespace backend::worker {

// Sets up the default logger. Before a segment exists nothing goes to a ring.
void log_setup(const std::string& log_dir, bool to_stderr, const std::string& level);
// From now on info and above also go to the server's ring.
void log_to_ring(const shm::Ring& ring);
void log_set_level(const std::string& level);
// Closes the log file so that the next line opens it anew (logrotate).
void log_reopen();
// Sets the zone of time prefixes (TZ); empty means the system's.
void log_set_timezone(const std::string& zone);
// Stops writing to stderr (once the daemon has no terminal).
void log_drop_stderr();
// The listener's: lines go to the master through fd (worker/log_relay.h)
// instead of to files it may have no right to create.
void log_forward_to(int fd);
// The master's: a line the listener relayed, for the hour's file.
void log_append_relayed(std::string_view hour, std::string_view text);
// Waits (boundedly) until every line logged so far is in the file: the
// file and stderr are written by a thread of their own, and an exit must
// not lose the last lines.
void log_flush();
// For a loop's thread: its lines wake the log writer only when the loop
// calls log_wake_writer(), once per turn (BackgroundLogSink says why).
void log_defer_wakes_on_this_thread();
void log_wake_writer();
// Before fork(): writes what is queued and ends the writer thread, so that
// the child inherits no lock held by it.
void log_before_fork();
// The line after a logged change, as the original wrote it: "OK", or the
// code and why ("FAILED: job \"x\" does not exist").
void log_result(protocol::Code code, std::string_view error);

}  // namespace backend::worker
