#include "worker/listener/http_request.h"

// Beast 1.74's chunk parser asserts n >= 5 where a final chunk may come a
// byte at a time (boostorg/beast#2861, fixed upstream in 1.86); the code
// after the assertion answers need_more, as it should. In a build without
// NDEBUG (the sanitizer build, the fuzz build) the assertion would let any
// client abort the listener, so Beast's assertions are off here; Beast is
// compiled in this file and nowhere else.
#define BOOST_DISABLE_ASSERTS 1

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace backend::worker {

namespace http = boost::beast::http;

struct HttpRequestReader::Parser {
  http::request_parser<http::string_body> beast;
};

HttpRequestReader::HttpRequestReader(size_t max_body) : max_body_(max_body) {}

HttpRequestReader::~HttpRequestReader() = default;

void HttpRequestReader::feed(const char* data, size_t size) {
  if (bad_status_) return;
  // What the parser took goes before more comes: the buffer holds at most
  // one request's worth of bytes not yet parsed.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(data, size);
}

bool HttpRequestReader::mid_request() const { return parser_ != nullptr || pos_ < buf_.size(); }

void HttpRequestReader::refuse(int status, std::string reason) {
  bad_status_ = status;
  bad_reason_ = std::move(reason);
  parser_.reset();
  buf_.clear();
  pos_ = 0;
}

HttpRequestReader::Status HttpRequestReader::next(HttpRequest& out) {
  if (bad_status_) return Status::kBad;
  while (pos_ < buf_.size()) {
    if (!parser_) {
      parser_ = std::make_unique<Parser>();
      parser_->beast.header_limit(kMaxHeader);
      parser_->beast.body_limit(max_body_);
      parser_->beast.eager(true);
    }
    boost::beast::error_code ec;
    size_t used = parser_->beast.put(boost::asio::buffer(buf_.data() + pos_, buf_.size() - pos_), ec);
    pos_ += used;
    if (ec == http::error::need_more) return Status::kNeedMore;
    if (ec == http::error::header_limit) {
      refuse(431, "the request's header is larger than " + std::to_string(kMaxHeader) + " bytes");
      return Status::kBad;
    }
    if (ec == http::error::body_limit) {
      refuse(413, "the request's body is larger than the limit of " + std::to_string(max_body_) + " bytes");
      return Status::kBad;
    }
    if (ec) {
      refuse(400, "not an HTTP/1.1 request: " + ec.message());
      return Status::kBad;
    }
    if (!parser_->beast.is_done()) {
      if (used == 0) return Status::kNeedMore;
      continue;
    }
    const auto& req = parser_->beast.get();
    if (req.version() != 10 && req.version() != 11) {
      refuse(400, "only HTTP/1.0 and HTTP/1.1 are served");
      return Status::kBad;
    }
    // Both framings, or two hosts, are how requests are smuggled past a
    // proxy that reads them otherwise: refused, whatever the parser made of
    // them.
    if (req.count(http::field::content_length) && req.count(http::field::transfer_encoding)) {
      refuse(400, "a request may not have both Content-Length and Transfer-Encoding");
      return Status::kBad;
    }
    if (req.count(http::field::host) > 1) {
      refuse(400, "a request may have one Host");
      return Status::kBad;
    }
    auto field = [&](http::field f) { return std::string(req[f]); };
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    out.host = field(http::field::host);
    out.origin = field(http::field::origin);
    out.content_type = field(http::field::content_type);
    out.authorization = field(http::field::authorization);
    out.cookie = field(http::field::cookie);
    out.accept_encoding = field(http::field::accept_encoding);
    out.csrf_token = std::string(req["X-CSRF-Token"]);
    out.last_event_id = std::string(req["Last-Event-ID"]);
    out.keep_alive = req.keep_alive();
    out.body = parser_->beast.release().body();
    parser_.reset();
    return Status::kRequest;
  }
  return Status::kNeedMore;
}

}  // namespace backend::worker
