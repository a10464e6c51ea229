#include "master/listener_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/log_files.h"
#include "tests/support/temp_dir.h"
#include "worker/common/atomic_file.h"
#include "worker/common/log_relay.h"
#include "worker/common/server_log.h"

namespace backend::master {
namespace {

namespace fs = std::filesystem;
using backend::testing::all_logs;
using backend::testing::TempDir;

// What the listener wrote before it died is written out, however it was
// cut, and what a new listener writes goes to the same files.
TEST(ListenerLog, WritesWhatTheListenerRelaysUpToItsLastLine) {
  TempDir d;
  const std::string& dir = d.path;
  worker::log_setup(dir, false, "info");
  ListenerLog log;
  std::string error;
  int w = log.open(error);
  ASSERT_GE(w, 0) << error;
  std::string first = worker::relay_record("2026112513", "[26-11-25 13:00:00] one\n");
  std::string second = worker::relay_record("2026112513", "[26-11-25 13:00:01] two\n");
  ASSERT_TRUE(worker::write_all(w, first + second.substr(0, 5)));
  EXPECT_TRUE(log.read_available()) << "all there was to read was read";
  ASSERT_GE(log.fd(), 0);
  ASSERT_TRUE(worker::write_all(w, second.substr(5)));
  close(w);  // the listener died
  log.drain();
  EXPECT_EQ(log.fd(), -1);
  w = log.open(error);
  ASSERT_GE(w, 0) << error;
  ASSERT_TRUE(worker::write_all(w, worker::relay_record("2026112514", "[26-11-25 14:00:00] three\n")));
  close(w);
  log.drain();
  worker::log_flush();
  EXPECT_EQ(all_logs(dir + "/20261125"), "[26-11-25 13:00:00] one\n[26-11-25 13:00:01] two\n[26-11-25 14:00:00] three\n");
  EXPECT_TRUE(fs::exists(dir + "/20261125/2026112514.log"));
}

// More than a turn's reads (16 of 64 KiB) in the pipe: read_available says it
// stopped at its bound, so that the master's loop reads on at once instead of
// pausing (ReadPacing).
TEST(ListenerLog, SaysWhenItStoppedAtItsBoundForATurn) {
  TempDir d;
  worker::log_setup(d.path, false, "info");
  ListenerLog log;
  std::string error;
  int w = log.open(error);
  ASSERT_GE(w, 0) << error;
  ASSERT_GE(fcntl(w, F_SETPIPE_SZ, 1 << 20), 1 << 20);
  std::string records;
  const std::string line = "[26-11-25 13:00:00] " + std::string(980, 'x') + "\n";
  while (records.size() < 15 * 65536 + 20000) records += worker::relay_record("2026112513", line);
  ASSERT_LE(records.size(), size_t(1) << 20);
  ASSERT_TRUE(worker::write_all(w, records));
  EXPECT_FALSE(log.read_available()) << "sixteen reads of 64 KiB were said to leave nothing";
  EXPECT_TRUE(log.read_available()) << "what was left was read";
  close(w);
  log.drain();
  worker::log_flush();
}

}  // namespace
}  // namespace backend::master
