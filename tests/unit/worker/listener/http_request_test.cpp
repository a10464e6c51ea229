#include "worker/listener/http_request.h"

#include <gtest/gtest.h>

namespace backend::worker {
namespace {

using Status = HttpRequestReader::Status;

const std::string kPost =
    "POST /api/STATUS HTTP/1.1\r\nHost: 127.0.0.1:13124\r\nContent-Type: application/json\r\n"
    "Origin: http://127.0.0.1:13124\r\nAuthorization: Basic dTpw\r\nContent-Length: 17\r\n\r\n"
    "{\"jobname\":\"web\"}";

TEST(HttpRequest, ARequestCutAnywhereComesOutWhole) {
  for (size_t step : {size_t(1), size_t(7), size_t(64), kPost.size()}) {
    HttpRequestReader reader(1024);
    HttpRequest req;
    size_t fed = 0;
    Status status = Status::kNeedMore;
    while (fed < kPost.size()) {
      EXPECT_EQ(reader.next(req), Status::kNeedMore) << "after " << fed << " bytes";
      size_t n = std::min(step, kPost.size() - fed);
      reader.feed(kPost.data() + fed, n);
      fed += n;
      EXPECT_TRUE(reader.mid_request());
    }
    status = reader.next(req);
    ASSERT_EQ(status, Status::kRequest) << step;
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.target, "/api/STATUS");
    EXPECT_EQ(req.host, "127.0.0.1:13124");
    EXPECT_EQ(req.origin, "http://127.0.0.1:13124");
    EXPECT_EQ(req.content_type, "application/json");
    EXPECT_EQ(req.authorization, "Basic dTpw");
    EXPECT_EQ(req.body, "{\"jobname\":\"web\"}");
    EXPECT_TRUE(req.keep_alive);
    EXPECT_FALSE(reader.mid_request());
    EXPECT_EQ(reader.next(req), Status::kNeedMore);
  }
}

TEST(HttpRequest, PipelinedRequestsComeOutInOrder) {
  HttpRequestReader reader(1024);
  std::string two = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" + kPost + "GET /x HTTP/1.1\r\nHost: a\r\n";
  reader.feed(two.data(), two.size());
  HttpRequest req;
  ASSERT_EQ(reader.next(req), Status::kRequest);
  EXPECT_EQ(req.target, "/healthz");
  EXPECT_TRUE(req.body.empty());
  ASSERT_EQ(reader.next(req), Status::kRequest);
  EXPECT_EQ(req.target, "/api/STATUS");
  EXPECT_EQ(reader.next(req), Status::kNeedMore);  // the third's header is not whole
  EXPECT_TRUE(reader.mid_request());
  reader.feed("\r\n", 2);
  ASSERT_EQ(reader.next(req), Status::kRequest);
  EXPECT_EQ(req.target, "/x");
}

TEST(HttpRequest, KeepAliveAsHttpSaysIt) {
  HttpRequestReader reader(1024);
  std::string s = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET / HTTP/1.0\r\n\r\n";
  reader.feed(s.data(), s.size());
  HttpRequest req;
  ASSERT_EQ(reader.next(req), Status::kRequest);
  EXPECT_FALSE(req.keep_alive);
  ASSERT_EQ(reader.next(req), Status::kRequest);
  EXPECT_FALSE(req.keep_alive);
}

TEST(HttpRequest, ChunkedBodiesAreRead) {
  HttpRequestReader reader(1024);
  std::string s = "POST /api/GETALL HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
  reader.feed(s.data(), s.size());
  HttpRequest req;
  ASSERT_EQ(reader.next(req), Status::kRequest);
  EXPECT_EQ(req.body, "{\"a\":1}");
}

// Beast 1.74 asserted on a final chunk that comes a byte at a time (the
// fuzz target found it): in a build with assertions the listener aborted.
TEST(HttpRequest, AFinalChunkAByteAtATimeIsRead) {
  HttpRequestReader reader(32);
  std::string head = "POST /api/ADD HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  reader.feed(head.data(), head.size());
  HttpRequest req;
  EXPECT_EQ(reader.next(req), Status::kNeedMore);
  reader.feed("\r", 1);
  EXPECT_EQ(reader.next(req), Status::kNeedMore);
  reader.feed("\n", 1);
  ASSERT_EQ(reader.next(req), Status::kRequest);
  EXPECT_EQ(req.body, "");
}

// What a refused request earns, and that nothing after it is read.
void expect_refused(const std::string& bytes, int status, size_t max_body = 1024) {
  HttpRequestReader reader(max_body);
  reader.feed(bytes.data(), bytes.size());
  HttpRequest req;
  EXPECT_EQ(reader.next(req), Status::kBad) << bytes.substr(0, 80);
  EXPECT_EQ(reader.bad_status(), status) << bytes.substr(0, 80) << ": " << reader.bad_reason();
  EXPECT_FALSE(reader.bad_reason().empty());
  std::string more = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  reader.feed(more.data(), more.size());
  EXPECT_EQ(reader.next(req), Status::kBad);
}

TEST(HttpRequest, AHeaderOver16KiBIs431) {
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(17 * 1024, 'x') + "\r\n\r\n", 431);
  // Even before it ends: a header that keeps coming is not buffered for ever.
  expect_refused("GET / HTTP/1.1\r\nX-Big: " + std::string(17 * 1024, 'x'), 431);
}

TEST(HttpRequest, ABodyOverTheLimitIs413) {
  expect_refused("POST /api/ADD HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413, 1000);
  expect_refused("POST /api/ADD HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                     std::string(2000, 'x') + "\r\n0\r\n\r\n",
                 413, 1000);
}

TEST(HttpRequest, SmugglingShapesAre400) {
  expect_refused("POST /api/ADD HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 400);
  expect_refused("POST /api/ADD HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
                 400);
  expect_refused("POST /api/ADD HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

TEST(HttpRequest, WhatIsNoHttpIs400) {
  expect_refused("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400);  // a TLS hello
  expect_refused("GET / HTTP/9.9\r\n\r\n", 400);
  expect_refused("G E T / HTTP/1.1\r\n\r\n", 400);
}

}  // namespace
}  // namespace backend::worker
