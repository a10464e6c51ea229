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
  bool close = false;      // Connection: close, and the connection ends
};

// Appends the response, head and body, to out.
void append_response(std::string& out, const HttpResponse& response);

// The reason phrase of a status the face sends.
std::string_view status_text(int status);

}  // namespace backend::worker
