#include "worker/supervisor/output_capture.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "worker/supervisor/line_splitter.h"

namespace backend::worker {
namespace {

// A job's pipe, a stage file and a ring in plain memory.
struct Rig {
  Rig() : data(1 << 20) {
    EXPECT_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    stage = create_stage();
    EXPECT_GE(stage, 0);
    shm::Ring::init(&header, static_cast<uint32_t>(data.size()));
    ring().reset_capture(kStageBase);
  }
  ~Rig() {
    close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    close(stage);
  }
  shm::Ring ring() { return shm::Ring(&header, data.data()); }
  void write_out(const std::string& s) { ASSERT_EQ(write(fds[1], s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  void close_writer() {
    close(fds[1]);
    fds[1] = -1;
  }
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    for (const auto& l : ring().last(SIZE_MAX)) out.push_back(l.text);
    return out;
  }
  int fds[2];
  int stage;
  shm::RingHeader header;
  std::vector<char> data;
};

TEST(OutputCapture, WholeLinesGoToTheRingWithThePrefixAndTheRestWaits) {
  Rig r;
  OutputCapture c(r.fds[0], r.stage, false, r.ring());
  std::vector<std::string> emitted;
  auto emit = [&](uint64_t, const std::vector<std::string_view>& ls) {
    for (auto l : ls) emitted.emplace_back(l);
  };
  r.write_out("one\ntw");
  auto p = c.pump(1 << 20, "[t] ", emit);
  EXPECT_EQ(p.bytes, 6u);
  EXPECT_FALSE(p.end);
  EXPECT_EQ(r.lines(), (std::vector<std::string>{"[t] one"}));
  EXPECT_EQ(r.ring().taken(0), 4u);
  r.write_out("o\nthree\n");
  c.pump(1 << 20, "[u] ", emit);
  EXPECT_EQ(r.lines(), (std::vector<std::string>{"[t] one", "[u] two", "[u] three"}));
  EXPECT_EQ(emitted, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(c.pump(1 << 20, "", emit).bytes, 0u);  // nothing there: no wait
  r.write_out("last");
  r.close_writer();
  c.pump(1 << 20, "", emit);
  EXPECT_TRUE(c.pump(1 << 20, "", emit).end);
  EXPECT_EQ(r.lines().back(), "last");
  EXPECT_EQ(r.ring().taken(0), static_cast<uint64_t>(*r.ring().staged(0)));
}

TEST(OutputCapture, StderrIsMarkedAndKeepsItsOwnOffsets) {
  Rig r;
  OutputCapture c(r.fds[0], r.stage, true, r.ring());
  r.write_out("oops\n");
  c.pump(1 << 20, "", {});
  auto kept = r.ring().last(1);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(kept[0].is_err);
  EXPECT_EQ(r.ring().taken(1), kStageBase[1] + 5);
  EXPECT_EQ(r.ring().taken(0), kStageBase[0]);
}

// A supervisor killed after the kernel staged bytes but before it put them
// in the ring: its successor finds them in the stage, once.
TEST(OutputCapture, ASuccessorTakesWhatADeadPredecessorStagedExactlyOnce) {
  Rig r;
  {
    OutputCapture dead(r.fds[0], r.stage, false, r.ring());
    r.write_out("a1\na2\npart");
    dead.pump(1 << 20, "", {});
  }
  r.write_out("ial\nb1\nb2\n");
  // What the dead one would have done next, cut short after splice(2).
  ASSERT_GT(splice(r.fds[0], nullptr, r.stage, reinterpret_cast<loff_t*>(r.ring().staged(0)), 4, SPLICE_F_NONBLOCK), 0);
  OutputCapture next(r.fds[0], r.stage, false, r.ring());
  next.resume();
  next.pump(1 << 20, "", {});
  EXPECT_EQ(r.lines(), (std::vector<std::string>{"a1", "a2", "partial", "b1", "b2"}));
}

// Killed after its ring commit was published but before `taken` was
// stored: settle() completes the commit, so nothing is taken twice.
TEST(OutputCapture, ACommitPublishedByADeadWriterIsNotTakenTwice) {
  Rig r;
  OutputCapture dead(r.fds[0], r.stage, false, r.ring());
  r.write_out("x1\nx2\n");
  dead.pump(1 << 20, "", {});
  r.header.taken[0].store(kStageBase[0]);  // as if the last store never happened
  r.ring().settle();
  EXPECT_EQ(r.ring().taken(0), 6u);
  OutputCapture next(r.fds[0], r.stage, false, r.ring());
  next.resume();
  r.write_out("x3\n");
  next.pump(1 << 20, "", {});
  EXPECT_EQ(r.lines(), (std::vector<std::string>{"x1", "x2", "x3"}));
}

TEST(OutputCapture, ALongLineIsCutIntoPieces) {
  Rig r;
  OutputCapture c(r.fds[0], r.stage, false, r.ring());
  std::string big(kMaxLine + 10, 'z');
  size_t sent = 0;
  std::string all = big + "\n";
  while (sent < all.size()) {
    ssize_t n = write(r.fds[1], all.data() + sent, all.size() - sent);
    if (n > 0) sent += static_cast<size_t>(n);
    c.pump(1 << 20, "", {});
  }
  c.pump(1 << 20, "", {});
  EXPECT_EQ(r.lines(), (std::vector<std::string>{std::string(kMaxLine, 'z'), std::string(10, 'z')}));
}

// The stage starts over once a MiB was taken: it never holds more than
// that and a pump, whatever passes through it, and no line is lost or
// doubled across the rewinds.
TEST(OutputCapture, TheStageStaysSmallWhateverPassesThroughIt) {
  Rig r;
  OutputCapture c(r.fds[0], r.stage, false, r.ring());
  std::string chunk;
  for (int i = 0; i < 512; ++i) chunk += std::string(98, 'k') + "\n";  // 50,688 bytes of lines
  chunk += "cut ";  // every chunk ends mid-line: a rest is carried over each rewind
  size_t lines = 0;
  for (int i = 0; i < 400; ++i) {  // 20 MiB through the stage
    r.write_out(chunk);
    c.pump(1 << 20, "", [&](uint64_t, const std::vector<std::string_view>& ls) {
      for (auto l : ls) {
        bool shape = l == std::string(98, 'k') || l == "cut " + std::string(98, 'k');
        EXPECT_TRUE(shape) << "a line broken across a rewind: " << l.substr(0, 20) << "...";
        ++lines;
      }
    });
  }
  EXPECT_EQ(lines, 400u * 512);
  struct stat st;
  ASSERT_EQ(fstat(r.stage, &st), 0);
  EXPECT_LT(static_cast<uint64_t>(*r.ring().staged(0)), 2u << 20);
  EXPECT_LT(uint64_t(st.st_blocks) * 512, 3u << 20) << "the stage grew instead of starting over";
}

// A stream that fills its pipe is cut from the mapped stage instead of a
// copy of it: the same lines, a rest carried over every rewind, nothing
// lost or doubled, and a successor (unmapped, as every one starts) resumes
// from what the mapped one left.
TEST(OutputCapture, AFullPipeIsCutFromTheMappedStageWithoutLossOrRepeat) {
  Rig r;
  ASSERT_GE(fcntl(r.fds[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
  std::string chunk;
  for (int i = 0; i < 1500; ++i) chunk += std::string(98, 'm') + "\n";  // 150,000 bytes of lines
  chunk += "cut ";
  size_t lines = 0;
  auto count = [&](uint64_t, const std::vector<std::string_view>& ls) {
    for (auto l : ls) {
      bool shape = l == std::string(98, 'm') || l == "cut " + std::string(98, 'm') || l == "cut ";
      EXPECT_TRUE(shape) << "a line broken: " << l.substr(0, 20) << "...";
      ++lines;
    }
  };
  {
    OutputCapture dead(r.fds[0], r.stage, true, r.ring());  // stderr: its region is 2^62 bytes in
    for (int i = 0; i < 40; ++i) {  // 6 MB: several rewinds
      r.write_out(chunk);
      dead.pump(1 << 20, "", count);
      ASSERT_TRUE(dead.mapped());
    }
    r.write_out(chunk);  // staged by a splice the dead one never took
    ASSERT_GT(splice(r.fds[0], nullptr, r.stage, reinterpret_cast<loff_t*>(r.ring().staged(1)), chunk.size(),
                     SPLICE_F_NONBLOCK), 0);
  }
  OutputCapture next(r.fds[0], r.stage, true, r.ring());
  next.resume();
  r.write_out("\n");
  r.close_writer();
  while (!next.pump(1 << 20, "", count).end) {
  }
  EXPECT_EQ(lines, 41u * 1500 + 1);  // the last "cut " ends with the closing newline
  EXPECT_EQ(r.ring().last(1)[0].text, "cut ");
  EXPECT_EQ(r.ring().taken(1), static_cast<uint64_t>(*r.ring().staged(1)));
  struct stat st;
  ASSERT_EQ(fstat(r.stage, &st), 0);
  EXPECT_LT(uint64_t(st.st_blocks) * 512, 3u << 20) << "the stage grew instead of starting over";
}

// A splice larger than the mapping covers (a caller's limit beyond what
// the supervisor uses) is read into the buffer: no byte is read outside it.
TEST(OutputCapture, AStageBeyondTheMappingIsReadInstead) {
  Rig r;
  ASSERT_GE(fcntl(r.fds[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
  OutputCapture c(r.fds[0], r.stage, false, r.ring());
  std::string first(100 * 1024, 'a');
  first.back() = '\n';
  r.write_out(first);
  c.pump(1 << 20, "", {});
  ASSERT_TRUE(c.mapped());
  // Staged far beyond the mapping, as a predecessor with a larger limit
  // might have left it: whole lines there, then a rest.
  const uint64_t at = static_cast<uint64_t>(*r.ring().staged(0));
  const std::string big = std::string(5 << 20, 'b') + "\nrest";
  ASSERT_EQ(pwrite(r.stage, big.data(), big.size(), static_cast<off_t>(at)), static_cast<ssize_t>(big.size()));
  *r.ring().staged(0) = static_cast<int64_t>(at + big.size() - 1);  // "res" staged, the last byte not yet
  r.write_out("tail\n");
  std::vector<size_t> sizes;
  c.pump(1 << 20, "", [&](uint64_t, const std::vector<std::string_view>& ls) {
    for (auto l : ls) sizes.push_back(l.size());
  });
  EXPECT_FALSE(c.mapped());
  // 5 MiB of b's cut at kMaxLine, then "restail": the byte at the old
  // staged offset was overwritten by the splice, as it would have been.
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.back(), 7u);
  EXPECT_EQ(r.lines().back(), "restail");
}

// Killed in the middle of a rewind: after copying the rest to the stage's
// start (step 1), or also after moving `staged` back (step 2), but before
// `taken` followed. Either way the successor takes the rest once.
TEST(OutputCapture, ARewindCutShortIsResumedWithoutLossOrRepeat) {
  for (int steps_done : {1, 2}) {
    SCOPED_TRACE("steps done: " + std::to_string(steps_done));
    Rig r;
    // The state just before a rewind: 1 MiB and a bit taken, a rest waiting.
    const uint64_t taken = (1 << 20) + 100;
    ASSERT_EQ(pwrite(r.stage, "tail-of-a-li", 12, taken), 12);
    *r.ring().staged(0) = taken + 12;
    r.ring().append_captured("", {}, false, 0, taken);
    // The rewind, cut short.
    ASSERT_EQ(pwrite(r.stage, "tail-of-a-li", 12, 0), 12);
    if (steps_done == 2) *r.ring().staged(0) = 12;
    r.ring().settle();

    OutputCapture next(r.fds[0], r.stage, false, r.ring());
    next.resume();
    r.write_out("ne\nafter\n");
    next.pump(1 << 20, "", {});
    EXPECT_EQ(r.lines(), (std::vector<std::string>{"tail-of-a-line", "after"}));
  }
}

}  // namespace
}  // namespace backend::worker
