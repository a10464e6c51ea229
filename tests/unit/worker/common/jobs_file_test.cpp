#include "worker/common/jobs_file.h"

#include <gtest/gtest.h>

namespace backend::worker {
namespace {

TEST(JobsFile, ParsesAndSerialisesBothWays) {
  JobMap jobs;
  ASSERT_FALSE(parse_jobs_file(R"({"a": {"command": "/x"}, "b": {}})", jobs));
  EXPECT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs["a"], R"({"command":"/x"})");
  JobMap back;
  ASSERT_FALSE(parse_jobs_file(serialize_jobs(jobs), back));
  EXPECT_EQ(back, jobs);
}

TEST(JobsFile, RefusesWhatIsNotAnObjectOfObjects) {
  JobMap jobs;
  EXPECT_TRUE(parse_jobs_file("", jobs));
  EXPECT_TRUE(parse_jobs_file("[]", jobs));
  EXPECT_TRUE(parse_jobs_file(R"({"a": 1})", jobs));
  EXPECT_TRUE(parse_jobs_file(R"({"a": {)", jobs));
}

}  // namespace
}  // namespace backend::worker
