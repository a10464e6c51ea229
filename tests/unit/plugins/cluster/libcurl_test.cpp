// libcurl loaded at run time: not mapped until asked for, then every call
// the transport makes is bound and works.
#include "plugins/cluster/libcurl.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace backend::plugins::cluster {
namespace {

bool curl_mapped() {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find("/libcurl.so") != std::string::npos;
}

// First in the file: each test runs in a process of its own, and none
// before it loaded the library.
TEST(Libcurl, IsNotMappedUntilLoadedThenEveryCallIsBound) {
  EXPECT_FALSE(curl_mapped()) << "the test links libcurl: it would be loaded with the server too";
  auto error = load_libcurl();
  ASSERT_FALSE(error) << *error;
  EXPECT_TRUE(curl_mapped());
  const Libcurl& c = libcurl();
  for (const void* call :
       {(const void*)c.global_init, (const void*)c.easy_init, (const void*)c.easy_reset, (const void*)c.easy_setopt,
        (const void*)c.easy_getinfo, (const void*)c.easy_strerror, (const void*)c.easy_cleanup,
        (const void*)c.multi_init, (const void*)c.multi_setopt, (const void*)c.multi_add_handle,
        (const void*)c.multi_remove_handle, (const void*)c.multi_assign, (const void*)c.multi_socket_action,
        (const void*)c.multi_info_read, (const void*)c.multi_cleanup, (const void*)c.slist_append,
        (const void*)c.slist_free_all})
    EXPECT_NE(call, nullptr);
}

TEST(Libcurl, TheBoundCallsWork) {
  ASSERT_FALSE(load_libcurl());
  const Libcurl& c = libcurl();
  EXPECT_STREQ(c.easy_strerror(CURLE_OK), "No error");
  CURL* easy = c.easy_init();
  ASSERT_NE(easy, nullptr);
  EXPECT_EQ(c.easy_setopt(easy, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  EXPECT_EQ(c.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"), CURLE_OK) << "libcurl older than 7.85";
  curl_slist* headers = c.slist_append(nullptr, "Expect:");
  ASSERT_NE(headers, nullptr);
  c.slist_free_all(headers);
  c.easy_cleanup(easy);
}

}  // namespace
}  // namespace backend::plugins::cluster
