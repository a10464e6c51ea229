// The decoders of the messages between the processes (worker/ipc/
// messages.h): whatever comes in, a message that decodes encodes back to
// the very same text, and decodes again to the same; nothing else decodes.
// The first byte picks the decoder: control, hello or save-file.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "worker/ipc/messages.h"

using namespace backend::worker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      if (auto m = decode_control(text)) {
        std::string again = encode(*m);
        if (again != text) std::abort();
        auto twice = decode_control(again);
        if (!twice || twice->index() != m->index() || encode(*twice) != again) std::abort();
      }
      break;
    case 1:
      if (auto h = decode_hello(text)) {
        if (encode(*h) != text) std::abort();
      }
      break;
    default: {
      SaveFile save;
      if (!decode_save_file(text, save)) {
        SaveFile back;
        if (decode_save_file(encode(save), back) || back.plugin != save.plugin || back.file != save.file ||
            back.content != save.content)
          std::abort();
      }
    }
  }
  return 0;
}
