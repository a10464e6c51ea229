#include "worker/listener/http_response.h"

namespace backend::worker {

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

void append_response(std::string& out, const HttpResponse& r) {
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += status_text(r.status);
  out += "\r\nContent-Type: ";
  out += r.content_type;
  if (!r.open_ended) {
    out += "\r\nContent-Length: ";
    out += std::to_string(r.body.size());
  }
  out +=
      "\r\nCache-Control: no-store"
      "\r\nX-Content-Type-Options: nosniff"
      "\r\nX-Frame-Options: DENY"
      "\r\nContent-Security-Policy: ";
  out += r.policy.empty() ? std::string_view("default-src 'none'; frame-ancestors 'none'") : r.policy;
  out +=
      "\r\nReferrer-Policy: no-referrer"
      "\r\nCross-Origin-Resource-Policy: same-origin";
  if (!r.allow.empty()) {
    out += "\r\nAllow: ";
    out += r.allow;
  }
  if (r.close || r.open_ended) out += "\r\nConnection: close";
  out += "\r\n";
  out += r.headers;
  out += "\r\n";
  out += r.body;
}

}  // namespace backend::worker
