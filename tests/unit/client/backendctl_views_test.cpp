#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "outcome.h"
#include "views.h"

namespace backendctl {
namespace {

// Times are shown in local time: UTC here, whatever the machine's zone.
class ViewsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  const rapidjson::Value& json(const char* text) {
    doc_.Parse(text);
    EXPECT_FALSE(doc_.HasParseError()) << text;
    return doc_;
  }
  rapidjson::Document doc_;
};

// Suites are named after the tool, so that `ctest -R backendctl` selects them.
using backendctlViews = ViewsTest;

constexpr const char* kJobs = R"({
  "web": {"state":"UP","pid":4242,"started":1700000000,"uptime":273640,"restarts":2,
          "last_exit":{"code":null,"signal":"SIGKILL","at":1699999990},"mem":1536},
  "cron-thing": {"state":"DOWN","pid":null,"started":null,"uptime":null,"restarts":0,
                 "last_exit":{"code":3,"signal":null,"at":1700000100},"mem":null},
  "idle": {"state":"DOWN","pid":null,"started":null,"uptime":null,"restarts":0,"last_exit":null,"mem":null}
})";

TEST_F(backendctlViews, ListsJobsSortedWithHumanisedFieldsAndDashes) {
  EXPECT_EQ(format_job_list(json(kJobs), false),
            "NAME        STATE  PID   UPTIME  MEMORY   RESTARTS  EXIT\n"
            "cron-thing  DOWN   -     -       -        0         3\n"
            "idle        DOWN   -     -       -        0         -\n"
            "web         UP     4242  3d 4h   1.5 MiB  2         SIGKILL\n");
}

TEST_F(backendctlViews, ColoursUpGreenAndAFailedDownRedOnly) {
  std::string out = format_job_list(json(kJobs), true);
  EXPECT_NE(out.find("cron-thing  \033[31mDOWN\033[0m   -"), std::string::npos) << out;
  EXPECT_NE(out.find("idle        DOWN   -"), std::string::npos) << "never ran: no colour\n" << out;
  EXPECT_NE(out.find("web         \033[32mUP\033[0m     4242"), std::string::npos) << out;
}

TEST_F(backendctlViews, ColoursACrashRedButNotAStop) {
  std::string out = format_job_list(json(R"({
      "crashed": {"state":"DOWN","last_exit":{"code":null,"signal":"SIGSEGV","at":1}},
      "stopped": {"state":"DOWN","last_exit":{"code":null,"signal":"SIGTERM","at":1}},
      "done": {"state":"DOWN","last_exit":{"code":0,"signal":null,"at":1}}})"),
                                    true);
  EXPECT_NE(out.find("crashed  \033[31mDOWN\033[0m"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped  DOWN"), std::string::npos) << out;
  EXPECT_NE(out.find("done     DOWN"), std::string::npos) << out;
}

TEST_F(backendctlViews, ListsAnOldServersBareStatesWithDashes) {
  EXPECT_EQ(format_job_list(json(R"({"b":"UP","a":"DOWN"})"), false),
            "NAME  STATE  PID  UPTIME  MEMORY  RESTARTS  EXIT\n"
            "a     DOWN   -    -       -       -         -\n"
            "b     UP     -    -       -       -         -\n");
}

TEST_F(backendctlViews, ListsTheHeaderAloneWithoutJobs) {
  EXPECT_EQ(format_job_list(json("{}"), false), "NAME  STATE  PID  UPTIME  MEMORY  RESTARTS  EXIT\n");
  EXPECT_EQ(format_job_names(json("{}")), "");
}

TEST_F(backendctlViews, ListsNamesSorted) { EXPECT_EQ(format_job_names(json(kJobs)), "cron-thing\nidle\nweb\n"); }

TEST_F(backendctlViews, RefusesAJobListThatIsNoObject) {
  EXPECT_THROW(format_job_list(json("[]"), false), BadReply);
  EXPECT_THROW(format_job_names(json("\"UP\"")), BadReply);
}

TEST_F(backendctlViews, ShowsARunningJobsStatus) {
  EXPECT_EQ(format_job_status(json(kJobs)["web"], false),
            "UP\n"
            "  pid:       4242\n"
            "  uptime:    3d 4h (since 2023-11-14 22:13:20)\n"
            "  memory:    1.5 MiB\n"
            "  restarts:  2\n"
            "  last exit: signal SIGKILL at 2023-11-14 22:13:10\n");
}

TEST_F(backendctlViews, ShowsWhyAJobStartedAndItsRecentRuns) {
  const auto& detail = json(R"({"state":"UP","pid":7,"started":1700000000,"uptime":5,"restarts":1,"last_exit":)"
                     R"({"code":1,"signal":null,"at":1699999990},"mem":1024,"reason":"crash","history":[)"
                     R"({"reason":"manual","started":1699999900,"exited":1699999990,"code":1,"signal":null,)"
                     R"("output":["[23-11-14 22:13:09] about to fail","[23-11-14 22:13:10] failed"]},)"
                     R"({"reason":"scheduler","started":1699999000,"exited":1699999060,"code":null,)"
                     R"("signal":"SIGKILL","output":[]}]})");
  std::string shown = format_job_status(detail, false);
  EXPECT_NE(shown.find("  started by: crash\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("  recent runs, newest first:\n"
                       "    2023-11-14 22:13:10  code 1, ran 1m 30s, started by manual\n"
                       "      | [23-11-14 22:13:09] about to fail\n"
                       "      | [23-11-14 22:13:10] failed\n"
                       "    2023-11-14 21:57:40  signal SIGKILL, ran 1m, started by scheduler\n"),
            std::string::npos)
      << shown;
  EXPECT_THROW(format_job_status(json(R"({"state":"UP","history":[1]})"), false), BadReply);
}

TEST_F(backendctlViews, ShowsAStoppedJobsStatus) {
  EXPECT_EQ(format_job_status(json(kJobs)["cron-thing"], false),
            "DOWN\n"
            "  pid:       -\n"
            "  uptime:    -\n"
            "  memory:    -\n"
            "  restarts:  0\n"
            "  last exit: code 3 at 2023-11-14 22:15:00\n");
  EXPECT_EQ(format_job_status(json(kJobs)["idle"], false).substr(0, 5), "DOWN\n");
  EXPECT_NE(format_job_status(json(kJobs)["idle"], false).find("  last exit: -\n"), std::string::npos);
}

TEST_F(backendctlViews, ShowsABareStateAsItIs) {
  EXPECT_EQ(format_job_status(json("\"DOWN\""), false), "DOWN\n");
  EXPECT_EQ(format_job_status(json("\"UP\""), true), "\033[32mUP\033[0m\n");
}

TEST_F(backendctlViews, ShowsTheLastExit) {
  EXPECT_EQ(exit_text(json(R"({"code":0,"signal":null,"at":1})")), "0");
  EXPECT_EQ(exit_text(json(R"({"code":null,"signal":"SIGTERM","at":1})")), "SIGTERM");
  EXPECT_EQ(exit_text(json("null")), "-");
}

TEST_F(backendctlViews, ListsMemorySorted) {
  EXPECT_EQ(format_mem_list(json(R"({"web":1536,"api":512})")),
            "NAME  MEMORY\n"
            "api   512 KiB\n"
            "web   1.5 MiB\n");
  EXPECT_THROW(format_mem_list(json(R"({"web":"1536"})")), BadReply);
}

TEST_F(backendctlViews, ListsSchedulesOfAllJobsOrOfOne) {
  const char* all = R"({"web":{"b-uuid":{"enable":false,"condition":{"cron":"*/5 * * * *"}},
                               "a-uuid":{"enable":true,"condition":{"U":300}}},
                        "api":{"c-uuid":{"enable":true,"condition":{"H":"03","i":"00"}}}})";
  EXPECT_EQ(format_schedule_list(json(all), ""),
            "JOB  UUID    ENABLED  CONDITION\n"
            "api  c-uuid  yes      {\"H\":\"03\",\"i\":\"00\"}\n"
            "web  a-uuid  yes      {\"U\":300}\n"
            "web  b-uuid  no       {\"cron\":\"*/5 * * * *\"}\n");
  EXPECT_EQ(format_schedule_list(json(all), "api"),
            "JOB  UUID    ENABLED  CONDITION\n"
            "api  c-uuid  yes      {\"H\":\"03\",\"i\":\"00\"}\n");
}

TEST_F(backendctlViews, ListsStringsAndTimesOnePerLine) {
  EXPECT_EQ(format_string_list(json(R"(["20240502","20240501"])")), "20240502\n20240501\n");
  EXPECT_EQ(format_string_list(json("[]")), "");
  EXPECT_THROW(format_string_list(json("[1]")), BadReply);
  EXPECT_EQ(format_time_list(json("[1700000100,1700000000]")), "2023-11-14 22:15:00\n2023-11-14 22:13:20\n");
  EXPECT_THROW(format_time_list(json("{}")), BadReply);
}

TEST_F(backendctlViews, EndsTextWithOneNewline) {
  EXPECT_EQ(as_lines(""), "");
  EXPECT_EQ(as_lines("a\nb"), "a\nb\n");
  EXPECT_EQ(as_lines("a\n"), "a\n");
}

}  // namespace
}  // namespace backendctl
