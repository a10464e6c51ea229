// The shared-memory layout: fixed-size POD structs found by offsets, never by
// pointers, so every process may map the segment at its own address.
// Changing anything here means bumping kLayoutVersion; layout_test pins both.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <boost/interprocess/sync/interprocess_semaphore.hpp>
#include <boost/version.hpp>

namespace backend::shm {

inline constexpr char kMagic[8] = {'B', 'K', 'S', 'E', 'R', 'V', 'E', 'R'};
inline constexpr uint32_t kLayoutVersion = 6;
inline constexpr size_t kMaxName = 64;
inline constexpr size_t kSettingsBytes = 16384;  // the most a job's settings may take
// What most jobs' settings take (a command, its parameters, a few flags):
// kept densely, eight slots to a page, so that a job costs a page of shared
// memory less than when every slot had kSettingsBytes of its own.
inline constexpr size_t kSettingsInlineBytes = 512;
inline constexpr size_t kConfigBytes = 65536;

enum class JobState : uint8_t { kDown = 0, kUp = 1, kStarting = 2, kStopping = 3 };

// Why a run began: a client's START or RESTART, the guarder after an exit
// nobody asked for, a schedule, or the server starting.
enum class StartReason : uint8_t { kManual = 0, kCrash = 1, kScheduler = 2, kAutostart = 3 };
inline constexpr size_t kStartReasons = 4;

// Runs kept per job, and of each the last lines of output when it ended.
inline constexpr size_t kRunsKept = 20;
inline constexpr size_t kTailLines = 10;
inline constexpr size_t kTailBytes = 2048;
// Schedules whose times /metrics shows.
inline constexpr size_t kMaxSchedules = 4096;
// Commands whose requests /metrics counts, the last for every name the
// listener does not know.
inline constexpr size_t kApiCommands = 64;
inline constexpr size_t kApiCodes = 4;  // protocol::Code

// JobSlot::flags bits.
// The last run was ended on request (STOP): guarding stops until a START.
inline constexpr uint32_t kJobStopRequested = 1u << 0;
// The job is a cluster job's copy on this host (its settings say "cluster"):
// set with the settings, shown by STATUS and `backendctl ls`.
inline constexpr uint32_t kJobCluster = 1u << 1;

// An interprocess lock that survives its holder's death. The holder's pid
// is the lock itself, taken by compare-and-swap, so there is no moment at
// which the lock is taken but its holder unknown; whoever finds the holder
// dead takes it over. The semaphore is only where waiters sleep: a release
// posts it when someone waits.
struct LockWord {
  boost::interprocess::interprocess_semaphore sem{0};
  std::atomic<int32_t> holder{0};
  std::atomic<uint32_t> recoveries{0};
  std::atomic<uint32_t> waiters{0};
};

// The write to a job's log file under way, recorded by the log writer
// before it begins: the first ring line it holds and the size the file had.
// A supervisor killed mid-write leaves it behind; its successor cuts the
// file back to that size before it writes those lines again, so that no
// line is logged twice. `first` is kNoLogIntent while none is recorded, and
// is written last (after bytes_before), so a record is whole once it is set.
inline constexpr uint64_t kNoLogIntent = UINT64_MAX;
struct LogIntent {
  std::atomic<uint64_t> first;
  std::atomic<uint64_t> bytes_before;
};

// One job. Written only under the table lock; read without any lock through
// the seqlock `seq` (odd while a write is under way).
struct alignas(64) JobSlot {
  std::atomic<uint32_t> seq;
  uint8_t used;
  uint8_t state;  // JobState
  uint16_t name_len;
  char name[kMaxName + 1];
  int32_t pid;
  int64_t started_at;      // unix seconds, 0 when never started
  uint64_t start_ticks;    // the process's start time since boot (/proc), to tell a reused pid
  int64_t last_exit_at;    // unix seconds, 0 when it never exited
  int32_t last_exit_code;  // -1 when it did not exit with a code
  int32_t last_exit_signal;  // 0 when not killed by a signal
  uint32_t restarts;
  uint32_t flags;
  uint32_t buffersize;
  uint32_t settings_len;  // bytes of JSON in this slot's settings area
  // Per stream (stdout, stderr): the first ring line not yet written to the
  // job's log file. Advanced by the log writer after each write, so that a
  // supervisor that takes over writes what its predecessor could not.
  std::atomic<uint64_t> logged[2];
  int64_t next_retry_at;  // unix seconds the guarder starts the job again, 0 when not waiting
  // Counters of /metrics, from the job's ADD on: runs begun by why, and
  // output lines per stream (stdout, stderr).
  std::atomic<uint64_t> starts[kStartReasons];
  std::atomic<uint64_t> output_lines[2];
  uint8_t start_reason;  // StartReason of the current or last run
  // Per stream: the log write under way (see LogIntent), written by the log
  // writer's thread outside the table lock, like `logged`.
  LogIntent log_intent[2];
};

// One ended run of a job.
struct RunRecord {
  int64_t started_at;  // unix seconds
  int64_t exited_at;
  int32_t exit_code;    // -1 when it did not exit with a code
  int32_t exit_signal;  // 0 when not killed by a signal
  uint8_t reason;       // StartReason
  uint8_t reserved[3];
  uint32_t tail_len;
  char tail[kTailBytes];  // its last kTailLines lines of output then, '\n'-separated
};

// A job's last kRunsKept runs, a ring: run n is runs[n % kRunsKept]. Written
// by the supervisor under `seq`, read without a lock.
struct alignas(64) HistoryArea {
  std::atomic<uint32_t> seq;
  uint32_t reserved;
  uint64_t count;  // runs recorded since the job was added
  RunRecord runs[kRunsKept];
};

// One schedule's times (the scheduler plugin's), for /metrics.
struct ScheduleRecord {
  char job[kMaxName + 1];
  char uuid[39];
  int64_t next_at;  // unix seconds, 0 when it is not due again
  int64_t last_at;  // 0 when it never ran
  uint64_t runs;
};

// A job's settings as compact JSON, guarded by its slot's seq: in the
// slot's SettingsArea when they fit, else in its SettingsOverflow, whose
// pages stay untouched for every job whose settings are short. Both kept
// apart from the slots so that a walk over the table touches few pages.
struct SettingsArea {
  char json[kSettingsInlineBytes];
};
struct SettingsOverflow {
  char json[kSettingsBytes];
};

// A bounded ring of text lines. Records are
//   u32 length | u64 line number (top bit: from stderr) | bytes | u32 length
// at monotonic byte positions (position % capacity inside data). The
// trailing length lets a reader walk back from the newest line; positions
// below `tail` may already be overwritten. Only writers take `lock`.
struct alignas(64) RingHeader {
  LockWord lock;
  std::atomic<uint64_t> head;       // position after the newest record
  std::atomic<uint64_t> tail;       // position of the oldest record kept
  std::atomic<uint64_t> next_line;  // number the next line gets
  uint32_t capacity;                // bytes of data; 0 until initialised
  uint32_t reserved;
  // Where a job's captured output stands, per stream (stdout, stderr), as
  // offsets into the run's stage file (see worker/output_capture.h).
  // `staged` is written by the kernel itself, as splice(2)'s offset.
  int64_t staged[2];
  std::atomic<uint64_t> taken[2];  // stage bytes before this are lines in the ring
  // The commit under way: once head reaches pending_head, taken of
  // pending_stream is pending_taken, even if the writer died before saying so.
  std::atomic<uint64_t> pending_head;
  std::atomic<uint64_t> pending_taken;
  std::atomic<uint32_t> pending_stream;
};

struct alignas(64) Header {
  char magic[8];
  uint32_t layout_version;
  uint32_t boost_version;
  uint64_t header_size;  // sizeof(Header) of the build that made it
  uint64_t slot_size;    // sizeof(JobSlot)
  uint64_t segment_size;
  int32_t master_pid;
  uint32_t capacity;           // job slots
  uint32_t ring_bytes;         // per job ring
  uint32_t server_ring_bytes;  // the server's ring
  uint32_t index_entries;      // power of two, at least 2 x capacity
  uint32_t reserved;
  uint64_t slots_offset;
  uint64_t settings_offset;
  uint64_t settings_overflow_offset;
  uint64_t index_offset;
  uint64_t ring_headers_offset;
  uint64_t rings_offset;
  uint64_t server_ring_offset;  // RingHeader, then its data
  uint64_t history_offset;      // a HistoryArea per slot
  uint64_t schedules_offset;    // kMaxSchedules ScheduleRecords
  std::atomic<uint64_t> generation;  // bumped by the master at each start

  LockWord table_lock;                // writers of slots and index
  std::atomic<uint32_t> index_seq;    // seqlock over the name index
  std::atomic<uint32_t> job_count;
  std::atomic<uint32_t> high_water;  // slots at or past it are all unused
  // Set by the first supervisor once the table holds the saved jobs; the
  // listener serves nobody before, or it would deny jobs that exist.
  std::atomic<uint32_t> table_ready;
  // Bumped after every write to the table: a reader that built something
  // from the table may reuse it for as long as this has not moved.
  std::atomic<uint64_t> changes;

  std::atomic<int32_t> listener_pid;
  std::atomic<int32_t> supervisor_pid;
  // Highest request id the supervisor has taken off the channel, so that a
  // listener can tell which forwarded requests died with a supervisor.
  std::atomic<uint64_t> supervisor_taken;

  // Counters of /metrics, here so that a worker's death resets none.
  std::atomic<uint64_t> worker_restarts[2];  // listener, supervisor
  std::atomic<uint64_t> auth_failures;
  std::atomic<uint64_t> logcleaner_removed_files;
  std::atomic<uint64_t> logcleaner_removed_bytes;
  std::atomic<uint64_t> api_requests[kApiCommands][kApiCodes];
  // The scheduler's schedules, republished whole on every change.
  std::atomic<uint32_t> schedules_seq;
  uint32_t schedule_count;

  // The config the workers run with, published by the master on reload.
  std::atomic<uint32_t> config_seq;
  uint32_t config_len;
  char config[kConfigBytes];
};

// Where a walk that must see every used or half-written slot may stop. An
// insert takes the first free slot, at most the high-water mark, and raises
// the mark after it wrote the slot; inserts run one at a time under the
// table lock. So a writer that died leaves at most one used or half-written
// slot past the mark. Going no further keeps the pages of slots never used
// untouched: tmpfs allocates a page on any access, and a walk of all 1,024
// slots cost 256 KiB.
inline uint32_t slots_to_scan(const Header& h) {
  return std::min(h.capacity, h.high_water.load(std::memory_order_acquire) + 1);
}

static_assert(std::is_standard_layout_v<JobSlot>);
static_assert(std::is_standard_layout_v<RingHeader>);
static_assert(std::is_standard_layout_v<Header>);
static_assert(std::is_standard_layout_v<HistoryArea>);
static_assert(std::is_trivially_copyable_v<RunRecord>);
static_assert(std::is_trivially_copyable_v<ScheduleRecord>);
static_assert(std::atomic<uint32_t>::is_always_lock_free);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<int32_t>::is_always_lock_free);

}  // namespace backend::shm
