// A request payload as a client may send it: parsing never crashes or
// recurses without bound; what parses is a valid command name with an
// object of params, from which "auth" can be taken.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/request.h"

using namespace backend::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  Request req;
  if (auto err = parse_request(payload, req)) {
    if (err->empty()) abort();
    return 0;
  }
  if (!req.params.IsObject()) abort();
  take_auth(req.params);
  if (req.params.HasMember("auth")) abort();
  is_command_name(req.command);
  return 0;
}
