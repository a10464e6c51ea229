#include "plugins/logexplorer/log_paths.h"

#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/unit/plugins/logexplorer/temp_logs.h"

namespace backend::plugins::logexplorer {
namespace {

using Failure = Opened::Failure;
using Parts = std::vector<std::string>;

size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST(LogPathsComponent, RefusesWhatIsNotOnePlainName) {
  struct Case {
    std::string name;
    bool ok;
  };
  const Case cases[] = {
      {"20240101", true},
      {"2024010112.error.log", true},
      {"...", true},
      {".hidden", true},
      {std::string(NAME_MAX, 'a'), true},
      {"", false},
      {".", false},
      {"..", false},
      {"a/b", false},
      {"/etc", false},
      {"../../../../../etc/passwd", false},
      {"etc/", false},
      {std::string("a\0b", 3), false},
      {std::string(NAME_MAX + 1, 'a'), false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(component_problem(c.name).empty(), c.ok) << shown_name(c.name);
  }
  EXPECT_EQ(component_problem("a/b"), "it contains \"/\"");
  EXPECT_EQ(component_problem(std::string("a\0b", 3)), "it contains a NUL byte");
}

TEST(LogPathsShownName, EscapesAndShortens) {
  EXPECT_EQ(shown_name("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(shown_name(std::string("a\0\xff", 3)), R"("a\x00\xff")");
  std::string shown = shown_name(std::string(1000, 'x'));
  EXPECT_LT(shown.size(), 100u);
  EXPECT_EQ(shown.substr(shown.size() - 4), "...\"");
}

TEST(LogPathsFolders, JobFolderNeedsAValidJobName) {
  EXPECT_EQ(job_log_folder("web"), (Parts{"jobs", "web"}));
  EXPECT_EQ(job_log_folder("a.b@c-d_e"), (Parts{"jobs", "a.b@c-d_e"}));
  EXPECT_FALSE(job_log_folder("../../.."));
  EXPECT_FALSE(job_log_folder(".."));
  EXPECT_FALSE(job_log_folder(""));
  EXPECT_FALSE(job_log_folder("a/b"));
  EXPECT_FALSE(job_log_folder(std::string(65, 'a')));
  EXPECT_EQ(server_log_folder(), (Parts{"server"}));
}

TEST(LogPathsFd, ClosesWhenItGoesAndMovesOwnership) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), raw);
    Fd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_NE(fcntl(raw, F_GETFD), -1);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

class LogPathsOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    logs_.file("jobs/web/20240101/2024010112.log", "hello\n");
    logs_.file("../outside/secret.txt", "secret\n");
    logs_.file("../config.json", "{}");
    auto outside = logs_.root() / "outside";
    logs_.symlink(outside / "secret.txt", "jobs/web/20240101/escape.log");
    logs_.symlink(outside, "jobs/web/linkday");
    logs_.symlink(outside, "jobs/linkjob");
    logs_.symlink("/etc", "server");
    logs_.fifo("jobs/web/20240101/pipe.log");
  }

  TempLogs logs_;
};

struct OpenCase {
  Parts parts;
  bool file;
  Failure failure;
  std::string error;  // part of the sentence
};

TEST_F(LogPathsOpen, ResolvesOnlyPlainPathsInsideTheLogFolder) {
  const OpenCase cases[] = {
      {{"jobs", "web", "20240101", "2024010112.log"}, true, Failure::kNone, ""},
      {{"jobs", "web", "20240101"}, false, Failure::kNone, ""},
      {{"jobs", "web", ".."}, false, Failure::kRefused, "\"..\" is not valid"},
      {{"jobs", "web", "..", "..", "..", "config.json"}, true, Failure::kRefused, "is not valid"},
      {{"jobs", "web", "."}, false, Failure::kRefused, "\".\" is not valid"},
      {{"jobs", "web", ""}, false, Failure::kRefused, "it is empty"},
      {{"jobs", "web", "a/b"}, false, Failure::kRefused, "contains \"/\""},
      {{"jobs", "web", "/etc", "passwd"}, true, Failure::kRefused, "contains \"/\""},
      {{"jobs", "web", std::string("2024\0x", 6)}, false, Failure::kRefused, "NUL"},
      {{"jobs", "web", std::string(NAME_MAX + 1, 'a')}, false, Failure::kRefused, "longer than"},
      {{"jobs", "web", "20240101", "escape.log"}, true, Failure::kRefused, "is a symbolic link"},
      {{"jobs", "web", "linkday"}, false, Failure::kRefused, "\"jobs/web/linkday\" is a symbolic link"},
      {{"jobs", "web", "linkday", "secret.txt"}, true, Failure::kRefused, "is a symbolic link"},
      {{"jobs", "linkjob"}, false, Failure::kRefused, "\"jobs/linkjob\" is a symbolic link"},
      {{"server", "passwd"}, true, Failure::kRefused, "\"server\" is a symbolic link"},
      {{"jobs", "web", "20240102"}, false, Failure::kMissing, "does not exist"},
      {{"jobs", "nojob", "20240101", "x.log"}, true, Failure::kMissing, "\"jobs/nojob/20240101/x.log\""},
      {{"jobs", "web", "20240101", "2024010112.log", "x"}, true, Failure::kRefused, "is not a folder"},
      {{"jobs", "web", "20240101"}, true, Failure::kRefused, "is not a regular file"},
      {{"jobs", "web", "20240101", "pipe.log"}, true, Failure::kRefused, "is not a regular file"},
  };
  size_t fds = open_fds();
  for (const auto& c : cases) {
    std::string label;
    for (const auto& p : c.parts) label += shown_name(p) + " ";
    Opened o = c.file ? open_file(logs_.log_dir(), c.parts) : open_folder(logs_.log_dir(), c.parts);
    EXPECT_EQ(o.failure, c.failure) << label << o.error;
    EXPECT_EQ(static_cast<bool>(o.fd), c.failure == Failure::kNone) << label;
    EXPECT_NE(o.error.find(c.error), std::string::npos) << label << " gave: " << o.error;
    if (o.fd) {
      EXPECT_EQ(fcntl(o.fd.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << label;
    }
  }
  EXPECT_EQ(open_fds(), fds) << "a descriptor was left open";
}

TEST_F(LogPathsOpen, OpensTheRightFile) {
  Opened o = open_file(logs_.log_dir(), Parts{"jobs", "web", "20240101", "2024010112.log"});
  ASSERT_TRUE(o.fd);
  char buf[16] = {};
  EXPECT_EQ(pread(o.fd.get(), buf, sizeof buf, 0), 6);
  EXPECT_STREQ(buf, "hello\n");
}

TEST_F(LogPathsOpen, BadNamesAreRefusedBeforeTheLogFolderIsOpened) {
  // The log folder does not exist: had it been opened first, this would be
  // kMissing, not kRefused.
  Opened o = open_folder((logs_.root() / "nothing").string(), Parts{"jobs", ".."});
  EXPECT_EQ(o.failure, Failure::kRefused);
  Opened missing = open_folder((logs_.root() / "nothing").string(), Parts{"jobs", "web"});
  EXPECT_EQ(missing.failure, Failure::kMissing);
}

TEST_F(LogPathsOpen, TheLogFolderItselfMayBeALink) {
  std::filesystem::create_directory_symlink(logs_.at(""), logs_.root() / "loglink");
  Opened o = open_folder((logs_.root() / "loglink").string(), Parts{"jobs", "web"});
  EXPECT_TRUE(o.fd) << o.error;
}

TEST_F(LogPathsOpen, NoFileNameIsRefused) {
  Opened o = open_file(logs_.log_dir(), Parts{});
  EXPECT_EQ(o.failure, Failure::kRefused);
}

}  // namespace
}  // namespace backend::plugins::logexplorer
