#include "worker/listener/dashboard/event_stream.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "shm/job_table.h"
#include "shm/ring.h"
#include "tests/unit/shm/test_segment.h"

namespace backend::worker::dashboard {
namespace {

using Kind = EventStream::Kind;
using shm::testing::ScopedSegment;

// One block of a text/event-stream: its fields, or a comment.
struct Event {
  std::string id, name, data, comment, retry;
};

// Splits a stream's text into its blocks; every block must end in "\n\n".
std::vector<Event> parse(const std::string& text) {
  std::vector<Event> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find("\n\n", at);
    EXPECT_NE(end, std::string::npos) << "an unterminated block: " << text.substr(at);
    if (end == std::string::npos) break;
    Event e;
    std::string block = text.substr(at, end - at);
    size_t line_at = 0;
    while (line_at <= block.size()) {
      size_t nl = block.find('\n', line_at);
      std::string line = block.substr(line_at, nl == std::string::npos ? std::string::npos : nl - line_at);
      if (line.starts_with(":"))
        e.comment = line;
      else if (line.starts_with("id: "))
        e.id = line.substr(4);
      else if (line.starts_with("event: "))
        e.name = line.substr(7);
      else if (line.starts_with("data: "))
        e.data += line.substr(6);
      else if (line.starts_with("retry: "))
        e.retry = line.substr(7);
      else
        ADD_FAILURE() << "a line that is no field: " << line;
      if (nl == std::string::npos) break;
      line_at = nl + 1;
    }
    out.push_back(e);
    at = end + 2;
  }
  return out;
}

std::vector<Event> named(const std::vector<Event>& all, const std::string& name) {
  std::vector<Event> out;
  for (const auto& e : all)
    if (e.name == name) out.push_back(e);
  return out;
}

rapidjson::Document json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

struct Line {
  uint64_t n;
  bool err;
  std::string text;
  bool operator==(const Line&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Line& l) { return o << l.n << (l.err ? " err " : " out ") << l.text; }

// The lines of every `lines` event, in order; `next` gets the last one's.
std::vector<Line> lines_of(const std::vector<Event>& events, uint64_t* next = nullptr) {
  std::vector<Line> out;
  for (const auto& e : named(events, "lines")) {
    auto d = json(e.data);
    if (!d.IsObject()) continue;
    for (const auto& l : d["lines"].GetArray())
      out.push_back({l["n"].GetUint64(), l["err"].GetBool(), l["text"].GetString()});
    EXPECT_EQ(e.id, std::to_string(d["next"].GetUint64())) << "the id is the next line to ask for";
    if (next) *next = d["next"].GetUint64();
  }
  return out;
}

std::optional<ProcUsage> fake_reader(pid_t pid) {
  if (pid == 4242) return ProcUsage{3 * 1024 * 1024, 1.0};
  return std::nullopt;
}

constexpr int64_t kNow = 1'750'000'000;
constexpr uint64_t kMs = 50'000'000;  // a steady clock's ms, far from 0

class EventStreamTest : public ::testing::Test {
 protected:
  shm::JobTable table() const { return seg.seg.table(); }
  uint32_t add(const std::string& name) {
    auto slot = table().put(name, "{}", 20);
    EXPECT_TRUE(slot) << name;
    return slot.value_or(0);
  }
  shm::Ring ring(uint32_t slot) const { return seg.seg.job_ring(slot); }

  std::string begin(EventStream& s, uint64_t at = kMs) {
    std::string out;
    s.begin(out, kNow, at);
    return out;
  }
  // begin(), then the first pump at the same instant, in that order.
  std::string start(EventStream& s, uint64_t at = kMs) {
    std::string out = begin(s, at);
    return out + pump(s, at);
  }
  std::string pump(EventStream& s, uint64_t at) {
    std::string out;
    s.pump(out, kNow, at);
    return out;
  }

  ScopedSegment seg{"events", {16, 8192, 8192}};
};

TEST_F(EventStreamTest, AllJobsBeginWithOneJobsEventHoldingEveryJob) {
  add("alpha");
  uint32_t b = add("beta");
  add("gamma \"quoted\"");
  table().mark_started(b, 4242, 1, kNow - 5, 0, shm::StartReason::kManual);
  EventStream s(seg.seg, nullptr, Kind::kJobs, "", 0);
  std::string out = begin(s);
  ASSERT_TRUE(out.starts_with("retry: ")) << out;
  auto events = parse(out);
  auto jobs = named(events, "jobs");
  ASSERT_EQ(jobs.size(), 1u) << out;
  EXPECT_EQ(named(events, "job").size(), 0u) << "no job event besides the table";
  EXPECT_EQ(named(events, "lines").size(), 0u) << "the jobs stream sends no output";
  auto d = json(jobs[0].data);
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(d.MemberCount(), 3u);
  ASSERT_TRUE(d.HasMember("alpha") && d.HasMember("beta") && d.HasMember("gamma \"quoted\""));
  EXPECT_EQ(std::string(d["alpha"]["state"].GetString()), "DOWN");
  EXPECT_EQ(d["beta"]["pid"].GetInt(), 4242);
  EXPECT_TRUE(d["beta"].HasMember("cpu") && d["beta"].HasMember("backoff") && d["beta"].HasMember("uptime"));
  // Nothing changed: the next pumps say nothing.
  EXPECT_EQ(pump(s, kMs + 1), "");
  EXPECT_EQ(pump(s, kMs + 1000), "");
}

TEST_F(EventStreamTest, AnEmptyTableIsAnEmptyJobsEvent) {
  EventStream s(seg.seg, nullptr, Kind::kJobs, "", 0);
  auto jobs = named(parse(begin(s)), "jobs");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].data, "{}");
}

TEST_F(EventStreamTest, OneJobBeginsWithItsJobEventAndItsLines) {
  uint32_t a = add("a");
  add("b");
  ring(a).append("hello");
  ring(a).append("oops \"x\"\tend", true);
  ring(a).append("bye");
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  std::string out = begin(s);
  // The first pump gives whatever begin() left for it.
  out += pump(s, kMs);
  auto events = parse(out);
  auto job = named(events, "job");
  ASSERT_EQ(job.size(), 1u) << out;
  auto d = json(job[0].data);
  EXPECT_EQ(std::string(d["name"].GetString()), "a");
  EXPECT_EQ(std::string(d["state"].GetString()), "DOWN");
  uint64_t next = 0;
  EXPECT_EQ(lines_of(events, &next),
            (std::vector<Line>{{0, false, "hello"}, {1, true, "oops \"x\"\tend"}, {2, false, "bye"}}));
  EXPECT_EQ(next, 3u);
  EXPECT_EQ(named(events, "jobs").size(), 0u);
  EXPECT_EQ(pump(s, kMs + 1), "") << "nothing new";
}

TEST_F(EventStreamTest, BeginAloneGivesTheLinesFromSince) {
  // event_stream.h: begin() gives "the one job as it is now, and the lines
  // from `since` on".
  uint32_t a = add("a");
  ring(a).append("one");
  ring(a).append("two");
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  auto events = parse(begin(s));
  EXPECT_EQ(named(events, "job").size(), 1u);
  EXPECT_EQ(lines_of(events), (std::vector<Line>{{0, false, "one"}, {1, false, "two"}}));
}

TEST_F(EventStreamTest, NewLinesComeWithTheirNumbersStreamsAndText) {
  uint32_t a = add("a");
  ring(a).append("old");
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  std::string first = start(s);
  uint64_t next = 0;
  ASSERT_EQ(lines_of(parse(first), &next).size(), 1u);
  ASSERT_EQ(next, 1u);
  ring(a).append("new out");
  ring(a).append("new err", true);
  ring(a).append("line with\nnewline");
  std::string out = pump(s, kMs + 5);
  auto events = parse(out);
  ASSERT_EQ(named(events, "lines").size(), 1u) << "one batch: " << out;
  EXPECT_EQ(named(events, "lines")[0].id, "4");
  EXPECT_EQ(lines_of(events, &next),
            (std::vector<Line>{{1, false, "new out"}, {2, true, "new err"}, {3, false, "line with\nnewline"}}));
  EXPECT_EQ(next, 4u);
  EXPECT_EQ(pump(s, kMs + 10), "");
}

TEST_F(EventStreamTest, ResumesFromAGivenSince) {
  uint32_t a = add("a");
  for (int i = 0; i < 6; ++i) ring(a).append("l" + std::to_string(i));
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 4);
  auto events = parse(start(s));
  uint64_t next = 0;
  EXPECT_EQ(lines_of(events, &next), (std::vector<Line>{{4, false, "l4"}, {5, false, "l5"}}));
  EXPECT_EQ(next, 6u);
  // Since = next: nothing to send but the job.
  EventStream caught_up(seg.seg, nullptr, Kind::kJob, "a", 6);
  auto none = parse(start(caught_up));
  EXPECT_EQ(named(none, "lines").size(), 0u);
  EXPECT_EQ(named(none, "job").size(), 1u);
}

TEST_F(EventStreamTest, ASinceBeyondTheRingComesBackDown) {
  // A Last-Event-ID from before a server restart: the ring's numbers are
  // lower. The stream resynchronises instead of waiting.
  uint32_t a = add("a");
  ring(a).append("x");
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 1000);
  uint64_t next = 0;
  auto events = parse(start(s));
  EXPECT_TRUE(lines_of(events, &next).empty());
  EXPECT_EQ(next, 1u);
  ring(a).append("y");
  EXPECT_EQ(lines_of(parse(pump(s, kMs + 1))), (std::vector<Line>{{1, false, "y"}}));
}

TEST_F(EventStreamTest, AChangedJobIsSentAgain) {
  uint32_t a = add("a");
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  begin(s);
  EXPECT_EQ(pump(s, kMs + 1), "");
  table().mark_started(a, 4242, 1, kNow, 0, shm::StartReason::kManual);
  auto events = parse(pump(s, kMs + 2));
  auto job = named(events, "job");
  ASSERT_EQ(job.size(), 1u);
  auto d = json(job[0].data);
  EXPECT_EQ(d["pid"].GetInt(), 4242);
  EXPECT_EQ(std::string(d["name"].GetString()), "a");
}

TEST_F(EventStreamTest, AllJobsStreamSendsChangedJobsOnlyAndAtMostEveryScanInterval) {
  uint32_t a = add("a");
  add("b");
  EventStream s(seg.seg, nullptr, Kind::kJobs, "", 0);
  begin(s, kMs);
  table().mark_started(a, 4242, 1, kNow, 0, shm::StartReason::kManual);
  EXPECT_EQ(pump(s, kMs + EventStream::kTableScanMs - 1), "") << "a busy table is looked over at most every 200 ms";
  auto events = parse(pump(s, kMs + EventStream::kTableScanMs));
  auto job = named(events, "job");
  ASSERT_EQ(job.size(), 1u);
  EXPECT_EQ(std::string(json(job[0].data)["name"].GetString()), "a") << "b did not change";
  EXPECT_EQ(pump(s, kMs + 2 * EventStream::kTableScanMs), "");
  // A job added is sent as a job event.
  add("c");
  auto added = named(parse(pump(s, kMs + 3 * EventStream::kTableScanMs)), "job");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(std::string(json(added[0].data)["name"].GetString()), "c");
}

TEST_F(EventStreamTest, ARemovedJobIsGone) {
  add("a");
  add("b");
  EventStream all(seg.seg, nullptr, Kind::kJobs, "", 0);
  EventStream one(seg.seg, nullptr, Kind::kJob, "b", 0);
  begin(all);
  begin(one);
  table().remove("b");
  auto from_all = parse(pump(all, kMs + EventStream::kTableScanMs));
  auto gone = named(from_all, "gone");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].data, R"({"name":"b"})");
  EXPECT_EQ(named(from_all, "job").size(), 0u);
  auto from_one = parse(pump(one, kMs + 1));
  ASSERT_EQ(named(from_one, "gone").size(), 1u);
  EXPECT_EQ(named(from_one, "gone")[0].data, R"({"name":"b"})");
  // Once only.
  table().remove("nosuch");
  EXPECT_EQ(named(parse(pump(all, kMs + 2 * EventStream::kTableScanMs)), "gone").size(), 0u);
  EXPECT_EQ(named(parse(pump(one, kMs + 2)), "gone").size(), 0u);
}

TEST_F(EventStreamTest, AJobStreamFollowsTheJobWhenItComesLater) {
  EventStream s(seg.seg, nullptr, Kind::kJob, "late", 0);
  auto first = parse(begin(s));
  EXPECT_EQ(named(first, "job").size(), 0u);
  EXPECT_EQ(named(first, "gone").size(), 0u);
  uint32_t slot = add("late");
  ring(slot).append("hi");
  auto events = parse(pump(s, kMs + 1));
  EXPECT_EQ(named(events, "job").size(), 1u);
  EXPECT_EQ(lines_of(events), (std::vector<Line>{{0, false, "hi"}}));
}

TEST_F(EventStreamTest, AJobDeletedAndAddedAgainIsFollowedFromItsNewRingsFirstLine) {
  // event_stream.cpp: "a job deleted and added again has a new one [ring]".
  uint32_t slot = add("a");
  for (int i = 0; i < 5; ++i) ring(slot).append("old" + std::to_string(i));
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  ASSERT_EQ(lines_of(parse(start(s))).size(), 5u);
  table().remove("a");
  ASSERT_EQ(named(parse(pump(s, kMs + 1)), "gone").size(), 1u);
  uint32_t again = add("a");
  ring(again).append("new0");
  ring(again).append("new1");
  auto events = parse(pump(s, kMs + 2));
  EXPECT_EQ(named(events, "job").size(), 1u);
  EXPECT_EQ(lines_of(events), (std::vector<Line>{{0, false, "new0"}, {1, false, "new1"}}));
}

TEST_F(EventStreamTest, AJobDeletedAndAddedAgainBetweenTwoPumpsStartsOverToo) {
  uint32_t slot = add("a");
  add("filler");  // takes the next free slot, so that "a" comes back elsewhere
  for (int i = 0; i < 5; ++i) ring(slot).append("old" + std::to_string(i));
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  ASSERT_EQ(lines_of(parse(start(s))).size(), 5u);
  add("b");  // now in the slot after filler
  table().remove("a");
  table().remove("b");
  add("x");  // takes a's old slot
  uint32_t again = add("a");
  ASSERT_NE(again, slot);
  ring(again).append("new0");
  auto events = parse(pump(s, kMs + 1));
  EXPECT_EQ(lines_of(events), (std::vector<Line>{{0, false, "new0"}}));
}

TEST_F(EventStreamTest, AHeartbeatCommentAfterKBeatMsOfSilence) {
  add("a");
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  begin(s, kMs);
  pump(s, kMs);
  EXPECT_EQ(pump(s, kMs + EventStream::kBeatMs - 1), "");
  std::string beat = pump(s, kMs + EventStream::kBeatMs);
  EXPECT_TRUE(beat.starts_with(":")) << beat;
  EXPECT_TRUE(beat.ends_with("\n\n")) << beat;
  auto events = parse(beat);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].comment.empty());
  EXPECT_EQ(pump(s, kMs + EventStream::kBeatMs + 1), "") << "the next beat is kBeatMs later";
  EXPECT_NE(pump(s, kMs + 2 * EventStream::kBeatMs), "");
}

TEST_F(EventStreamTest, EventsPostponeTheHeartbeat) {
  uint32_t a = add("a");
  EventStream s(seg.seg, nullptr, Kind::kJob, "a", 0);
  begin(s, kMs);
  ring(a).append("x");
  EXPECT_FALSE(pump(s, kMs + EventStream::kBeatMs - 100).empty());
  EXPECT_EQ(pump(s, kMs + EventStream::kBeatMs), "") << "a line was sent 100 ms ago";
  EXPECT_TRUE(pump(s, kMs + 2 * EventStream::kBeatMs - 100).starts_with(":"));
}

TEST_F(EventStreamTest, UsageOfRunningJobsEveryKUsageMs) {
  uint32_t a = add("a");
  add("b");
  table().mark_started(a, 4242, 1, kNow, 0, shm::StartReason::kManual);
  UsageHistory usage(fake_reader);
  usage.sample(table(), 10.0, kNow);
  EventStream all(seg.seg, &usage, Kind::kJobs, "", 0);
  begin(all, kMs);
  EXPECT_EQ(pump(all, kMs + EventStream::kUsageMs - 1), "");
  auto events = parse(pump(all, kMs + EventStream::kUsageMs));
  auto u = named(events, "usage");
  ASSERT_EQ(u.size(), 1u);
  auto d = json(u[0].data);
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(d.MemberCount(), 1u) << "b does not run: " << u[0].data;
  ASSERT_TRUE(d.HasMember("a"));
  EXPECT_EQ(d["a"]["mem"].GetUint64(), 3072u);
  EXPECT_TRUE(d["a"]["cpu"].IsNull());
  // The one-job stream: that job's only.
  EventStream one(seg.seg, &usage, Kind::kJob, "b", 0);
  begin(one, kMs);
  EXPECT_EQ(named(parse(pump(one, kMs + EventStream::kUsageMs)), "usage").size(), 0u);
}

TEST_F(EventStreamTest, ServerStreamSendsTheServersLines) {
  seg.seg.server_ring().append("server started");
  EventStream s(seg.seg, nullptr, Kind::kServer, "", 0);
  auto events = parse(begin(s));
  EXPECT_EQ(named(events, "jobs").size(), 0u);
  EXPECT_EQ(lines_of(events), (std::vector<Line>{{0, false, "server started"}}));
  seg.seg.server_ring().append("more", true);
  EXPECT_EQ(lines_of(parse(pump(s, kMs + 1))), (std::vector<Line>{{1, true, "more"}}));
  EXPECT_EQ(pump(s, kMs + 2), "");
}

}  // namespace
}  // namespace backend::worker::dashboard
