// HTTP/1.1 responses of the listener's HTTP face, with the headers every
// response carries: nothing is cached, nothing sniffed, framed or sent to
// another origin as a referrer, and no script or style runs from a reply
// (what the face serves is data; the dashboard will set its own policy).
#pragma once

#include <string>
#include <string_view>

namespace backend::worker {

struct HttpResponse {
  int status = 200;
  std::string_view content_type = "text/plain; charset=utf-8";
  std::string_view body;
  std::string_view allow;  // for 405: the methods the path takes
  // The Content-Security-Policy; empty: the face's own, which runs nothing
  // (the dashboard's page sets the one it needs).
  std::string_view policy;
  // More header lines, each ending in CRLF (Set-Cookie, Content-Encoding).
  std::string_view headers;
  // No Content-Length: the body goes on until the connection closes (an
  // event stream).
  bool open_ended = false;
  bool close = false;      // Connection: close, and the connection ends
};

// The dashboard's policy: scripts and styles of its own origin only, no
// inline script, never framed.
inline constexpr std::string_view kDashboardPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Appends the response, head and body, to out.
void append_response(std::string& out, const HttpResponse& response);

// The reason phrase of a status the face sends.
std::string_view status_text(int status);

}  // namespace backend::worker
