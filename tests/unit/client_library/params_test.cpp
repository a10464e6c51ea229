#include <gtest/gtest.h>

#include "backend/client.h"

namespace backend::client {
namespace {

TEST(Params, SetKeepsTypesAndOrderAndReplacesAKeyInPlace) {
  Params p;
  EXPECT_TRUE(p.empty());
  p.set("writelog", true).set("buffersize", 100).set("params", "-a 'b c'").set("writelog", false);
  EXPECT_EQ(p.json(), R"({"writelog":false,"buffersize":100,"params":"-a 'b c'"})");
  EXPECT_TRUE(p.has("params"));
  p.erase("params");
  EXPECT_FALSE(p.has("params"));
}

TEST(Params, NestedObjectsAndCopiesAreIndependent) {
  Params env;
  env.set("A", "1");
  Params p;
  p.set("env", env);
  Params copy = p;
  copy.set("extra", int64_t{5});
  env.set("B", "2");
  EXPECT_EQ(p.json(), R"({"env":{"A":"1"}})");
  EXPECT_EQ(copy.json(), R"({"env":{"A":"1"},"extra":5})");
}

TEST(Params, ParseTakesOnlyJsonObjects) {
  Params p;
  p.set("kept", true);
  EXPECT_FALSE(Params::parse("[1]", p));
  EXPECT_FALSE(Params::parse("{bad", p));
  EXPECT_EQ(p.json(), R"({"kept":true})") << "a failed parse leaves the params as they were";
  ASSERT_TRUE(Params::parse(R"({"condition":{"i":"05"},"enable":"1"})", p));
  EXPECT_EQ(p.json(), R"({"condition":{"i":"05"},"enable":"1"})");
}

TEST(Params, StringsWithQuotesAndControlBytesAreEscaped) {
  Params p;
  p.set("s", std::string("a\"b\\c\n\x01", 7));
  EXPECT_EQ(p.json(), "{\"s\":\"a\\\"b\\\\c\\n\\u0001\"}");
}

}  // namespace
}  // namespace backend::client
