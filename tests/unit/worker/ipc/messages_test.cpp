#include "worker/ipc/messages.h"

#include <gtest/gtest.h>

#include <climits>

namespace backend::worker {
namespace {

// Encoded, then decoded: the same message, field by field.
void expect_round_trip(const ControlMessage& m, std::string_view text) {
  EXPECT_EQ(encode(m), text);
  auto back = decode_control(encode(m));
  ASSERT_TRUE(back) << text;
  EXPECT_EQ(back->index(), m.index()) << text;
  EXPECT_EQ(encode(*back), text);
}

TEST(Messages, EveryControlMessageMakesTheRoundTrip) {
  expect_round_trip(Prepare{7}, "PREPARE 7");
  expect_round_trip(Unprepare{7}, "UNPREPARE 7");
  expect_round_trip(Hold{4242, 7, 123456}, "HOLD 4242 7 123456");
  expect_round_trip(Release{4242}, "RELEASE 4242");
  expect_round_trip(Take{99}, "TAKE 99");
  expect_round_trip(Held{99, 4242, 7, 123456, false, 0}, "HELD 99 4242 7 123456 running");
  expect_round_trip(Held{99, 4242, 7, 123456, true, 9}, "HELD 99 4242 7 123456 exited 9");
  expect_round_trip(Held{99, 4242, 7, 123456, true, -1}, "HELD 99 4242 7 123456 exited -1");
  expect_round_trip(Orphan{99, 4242, 777, true, "quiet"}, "ORPHAN 99 4242 777 running quiet");
  expect_round_trip(Orphan{99, 4343, 888, false, "a.b@c-d_e"}, "ORPHAN 99 4343 888 gone a.b@c-d_e");
  expect_round_trip(Taken{99}, "TAKEN 99");
  expect_round_trip(Exit{4242, 3 << 8}, "EXIT 4242 768");
}

TEST(Messages, FieldsComeBackAsTheyWent) {
  auto held = decode_control(encode(Held{99, 4242, 7, UINT64_MAX, true, 137}));
  ASSERT_TRUE(held);
  const Held& h = std::get<Held>(*held);
  EXPECT_EQ(h.supervisor, 99);
  EXPECT_EQ(h.pid, 4242);
  EXPECT_EQ(h.slot, 7u);
  EXPECT_EQ(h.ticks, UINT64_MAX);
  EXPECT_TRUE(h.exited);
  EXPECT_EQ(h.status, 137);
  auto orphan = decode_control(encode(Orphan{1, 2, 3, false, "job"}));
  ASSERT_TRUE(orphan);
  EXPECT_EQ(std::get<Orphan>(*orphan).name, "job");
  EXPECT_FALSE(std::get<Orphan>(*orphan).alive);
}

TEST(Messages, HelloAndSaveFileMakeTheRoundTrip) {
  auto hello = decode_hello(encode(Hello{(uint64_t(77) << 32) | 5}));
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->taken, (uint64_t(77) << 32) | 5);
  EXPECT_EQ(encode(Hello{0}), "HELLO 0");
  SaveFile save{"auth", "users.json", std::string("{\"a\":\"\\n\"}\0\xff", 13)};
  SaveFile back;
  ASSERT_FALSE(decode_save_file(encode(save), back));
  EXPECT_EQ(back.plugin, save.plugin);
  EXPECT_EQ(back.file, save.file);
  EXPECT_EQ(back.content, save.content);
}

TEST(Messages, AnythingElseDoesNotDecode) {
  for (std::string_view bad : {"", " ", "HOLD", "HOLD 1 2", "HOLD 1 2 3 4", "HOLD 0 2 3", "HOLD -1 2 3",
                               "HOLD 1 x 3", "HOLD 1  2 3", "HOLD 1 2 3 ", " HOLD 1 2 3", "hold 1 2 3",
                               "PREPARE 4294967296", "PREPARE -1", "HELD 1 2 3 4 exited", "HELD 1 2 3 4 maybe",
                               "HELD 1 2 3 4 running 5", "ORPHAN 1 2 3 running", "ORPHAN 1 2 3 alive x",
                               "EXIT 1", "TAKEN", "TAKE 1 2", "HELLO 1", "NOPE 1", "RELEASE 12abc", "EXIT 4121 07", "EXIT 4121 -0",
                               "RELEASE 042", "PREPARE 00", "EXIT 1 -"})
    EXPECT_FALSE(decode_control(bad)) << '"' << bad << '"';
  for (std::string_view bad : {"", "HELLO", "HELLO x", "HELLO 1 2", "TAKE 1", "HELLO -1"})
    EXPECT_FALSE(decode_hello(bad)) << '"' << bad << '"';
  SaveFile save;
  for (std::string_view bad : {"", "[]", R"({"plugin":"a","file":"b"})", R"({"plugin":1,"file":"b","content":""})"})
    EXPECT_TRUE(decode_save_file(bad, save)) << bad;
}

}  // namespace
}  // namespace backend::worker
