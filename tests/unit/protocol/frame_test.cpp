#include "protocol/frame.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

// The largest single allocation since the last reset: proves that a hostile
// length is never reserved, and that the buffer does not grow with traffic.
static std::atomic<size_t> g_largest_alloc{0};

// noinline: once inlined, GCC pairs the malloc in new with the free in
// delete and warns about a mismatch that is not there.
__attribute__((noinline)) void* operator new(size_t n) {
  size_t prev = g_largest_alloc.load();
  while (n > prev && !g_largest_alloc.compare_exchange_weak(prev, n)) {
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace backend::protocol {
namespace {

using Status = FrameDecoder::Status;

std::string le32(uint32_t n) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

void feed(FrameDecoder& d, std::string_view bytes) { d.feed(bytes.data(), bytes.size()); }

// Drains every whole frame the decoder holds.
std::vector<std::string> drain(FrameDecoder& d, Status* last = nullptr) {
  std::vector<std::string> out;
  std::string_view p;
  Status s;
  while ((s = d.next(p)) == Status::kFrame) out.emplace_back(p);
  if (last) *last = s;
  return out;
}

TEST(FrameTest, EncodesLittleEndianLength) {
  EXPECT_EQ(encode_frame("STATUSALL"), std::string("\x09\x00\x00\x00STATUSALL", 13));
  EXPECT_EQ(encode_frame(""), std::string(4, '\0'));
  std::string big(0x010203, 'x');
  EXPECT_EQ(encode_frame(big).substr(0, 4), std::string("\x03\x02\x01\x00", 4));

  std::string out = "prefix";
  append_frame(out, "ab");
  EXPECT_EQ(out, std::string("prefix\x02\x00\x00\x00" "ab", 12));
}

TEST(FrameTest, ReadsTheLengthOnceTheWholeHeaderIsThere) {
  EXPECT_EQ(frame_length(""), std::nullopt);
  EXPECT_EQ(frame_length(std::string("\x09\x00\x00", 3)), std::nullopt);
  EXPECT_EQ(frame_length(std::string("\x09\x00\x00\x00", 4)), 9u);
  EXPECT_EQ(frame_length(encode_frame(std::string(0x010203, 'x'))), 0x010203u);
  EXPECT_EQ(frame_length(le32(0xfffffffe) + "rest"), 0xfffffffeu) << "only the first four bytes count";
}

TEST(FrameTest, WholeFrameInOneFeed) {
  FrameDecoder d;
  feed(d, encode_frame("GET {\"jobname\":\"a\"}"));
  std::string_view p;
  ASSERT_EQ(d.next(p), Status::kFrame);
  EXPECT_EQ(p, "GET {\"jobname\":\"a\"}");
  EXPECT_FALSE(d.mid_frame());
  EXPECT_EQ(d.next(p), Status::kNeedMore);
}

TEST(FrameTest, NothingFedNeedsMore) {
  FrameDecoder d;
  std::string_view p;
  EXPECT_EQ(d.next(p), Status::kNeedMore);
  EXPECT_FALSE(d.mid_frame());
}

TEST(FrameTest, SplitAtEveryByte) {
  const std::string stream = encode_frame("STATUS {\"jobname\":\"x\"}") + encode_frame("") + encode_frame("READ");
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder d;
    feed(d, std::string_view(stream).substr(0, cut));
    auto got = drain(d);
    feed(d, std::string_view(stream).substr(cut));
    auto rest = drain(d);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got, (std::vector<std::string>{"STATUS {\"jobname\":\"x\"}", "", "READ"})) << "cut at " << cut;
    EXPECT_FALSE(d.mid_frame());
  }
}

TEST(FrameTest, OneByteAtATime) {
  const std::string stream = encode_frame("ADD {}") + encode_frame("GETALL");
  FrameDecoder d;
  std::vector<std::string> got;
  for (char c : stream) {
    d.feed(&c, 1);
    auto part = drain(d);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"ADD {}", "GETALL"}));
}

TEST(FrameTest, MidFrameTracksPartialHeaderAndPayload) {
  FrameDecoder d;
  std::string f = encode_frame("abc");
  feed(d, f.substr(0, 2));
  EXPECT_TRUE(d.mid_frame());
  std::string_view p;
  EXPECT_EQ(d.next(p), Status::kNeedMore);
  feed(d, f.substr(2, 4));
  EXPECT_EQ(d.next(p), Status::kNeedMore);
  EXPECT_TRUE(d.mid_frame());
  feed(d, f.substr(6));
  ASSERT_EQ(d.next(p), Status::kFrame);
  EXPECT_EQ(p, "abc");
  EXPECT_FALSE(d.mid_frame());
}

TEST(FrameTest, CoalescedFramesComeOutInOrder) {
  std::string stream;
  std::vector<std::string> want;
  for (int i = 0; i < 100; ++i) {
    want.push_back("CMD" + std::to_string(i));
    append_frame(stream, want.back());
  }
  FrameDecoder d;
  feed(d, stream);
  Status last;
  EXPECT_EQ(drain(d, &last), want);
  EXPECT_EQ(last, Status::kNeedMore);
}

TEST(FrameTest, ViewsStayValidUntilNextCall) {
  FrameDecoder d;
  feed(d, encode_frame("first") + encode_frame("second"));
  std::string_view a;
  ASSERT_EQ(d.next(a), Status::kFrame);
  EXPECT_EQ(a, "first");
  std::string_view b;
  ASSERT_EQ(d.next(b), Status::kFrame);
  EXPECT_EQ(b, "second");
}

TEST(FrameTest, EmptyPayloadIsAFrame) {
  FrameDecoder d;
  feed(d, le32(0));
  std::string_view p = "junk";
  ASSERT_EQ(d.next(p), Status::kFrame);
  EXPECT_TRUE(p.empty());
}

TEST(FrameTest, LengthExactlyAtLimitIsAccepted) {
  FrameDecoder d(10);
  feed(d, encode_frame("0123456789"));
  std::string_view p;
  ASSERT_EQ(d.next(p), Status::kFrame);
  EXPECT_EQ(p, "0123456789");
}

TEST(FrameTest, LengthOneOverLimitIsRefused) {
  FrameDecoder d(10);
  feed(d, le32(11));
  std::string_view p;
  EXPECT_EQ(d.next(p), Status::kTooLarge);
  EXPECT_EQ(d.refused_length(), 11u);
}

TEST(FrameTest, DefaultLimitIs16MiB) {
  FrameDecoder ok;
  feed(ok, le32(kDefaultMaxFrame));
  std::string_view p;
  EXPECT_EQ(ok.next(p), Status::kNeedMore);
  FrameDecoder big;
  feed(big, le32(kDefaultMaxFrame + 1));
  EXPECT_EQ(big.next(p), Status::kTooLarge);
}

TEST(FrameTest, HugeLengthRefusedWithoutAllocating) {
  FrameDecoder d;
  g_largest_alloc = 0;
  feed(d, le32(0xFFFFFFF0) + "STATUSALL");
  std::string_view p;
  EXPECT_EQ(d.next(p), Status::kTooLarge);
  EXPECT_EQ(d.refused_length(), 0xFFFFFFF0u);
  EXPECT_LT(g_largest_alloc.load(), 4096u);
}

TEST(FrameTest, AnnouncedLengthIsNotReservedAhead) {
  FrameDecoder d;
  g_largest_alloc = 0;
  feed(d, le32(kDefaultMaxFrame) + "STAT");  // the rest never comes
  std::string_view p;
  EXPECT_EQ(d.next(p), Status::kNeedMore);
  EXPECT_LT(g_largest_alloc.load(), 4096u);
}

TEST(FrameTest, StaysTooLargeAfterRefusal) {
  FrameDecoder d(8);
  feed(d, encode_frame("way too long"));
  std::string_view p;
  EXPECT_EQ(d.next(p), Status::kTooLarge);
  feed(d, encode_frame("ok"));
  EXPECT_EQ(d.next(p), Status::kTooLarge);
  EXPECT_EQ(d.refused_length(), 12u);
}

TEST(FrameTest, FramesBeforeARefusedOneAreDelivered) {
  FrameDecoder d(8);
  feed(d, encode_frame("fine") + le32(9) + "123456789");
  std::string_view p;
  ASSERT_EQ(d.next(p), Status::kFrame);
  EXPECT_EQ(p, "fine");
  EXPECT_EQ(d.next(p), Status::kTooLarge);
}

TEST(FrameTest, SetLimitAppliesToTheNextHeader) {
  FrameDecoder d(100);
  d.set_limit(3);
  feed(d, encode_frame("abcd"));
  std::string_view p;
  EXPECT_EQ(d.next(p), Status::kTooLarge);
}

TEST(FrameTest, BinaryPayloadIsPassedThrough) {
  std::string bin("\x00\xff\x01\x00", 4);
  FrameDecoder d;
  feed(d, encode_frame(bin));
  std::string_view p;
  ASSERT_EQ(d.next(p), Status::kFrame);
  EXPECT_EQ(p, bin);
}

// A keep-alive connection that streams many frames in reads that always end
// mid-frame must not keep the consumed bytes.
TEST(FrameTest, LongKeepAliveStreamDoesNotGrowTheBuffer) {
  std::string stream;
  for (int i = 0; i < 1000; ++i) append_frame(stream, "STATUS {\"jobname\":\"job-" + std::to_string(i) + "\"}");
  FrameDecoder d;
  g_largest_alloc = 0;
  size_t frames = 0;
  const size_t chunk = 997;  // prime, so reads end at every offset of a frame
  for (int round = 0; round < 20; ++round) {
    for (size_t off = 0; off < stream.size(); off += chunk) {
      feed(d, std::string_view(stream).substr(off, chunk));
      frames += drain(d).size();
    }
  }
  EXPECT_EQ(frames, 20000u);
  EXPECT_FALSE(d.mid_frame());
  EXPECT_LT(g_largest_alloc.load(), 16u * 1024);
}

TEST(FrameTest, BigFrameThenSmallOnes) {
  std::string big(5 * 1024 * 1024, 'b');
  FrameDecoder d;
  feed(d, encode_frame(big) + encode_frame("after"));
  Status last;
  auto got = drain(d, &last);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], big);
  EXPECT_EQ(got[1], "after");
  EXPECT_EQ(last, Status::kNeedMore);
  feed(d, encode_frame("more"));
  EXPECT_EQ(drain(d), std::vector<std::string>{"more"});
}

}  // namespace
}  // namespace backend::protocol
