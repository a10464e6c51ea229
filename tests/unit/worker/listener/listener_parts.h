// What the tests of the listener's parts share: a loop, the channel to a
// supervisor the test plays itself, and a front end that records answers.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <uv.h>

#include "protocol/frame.h"
#include "worker/ipc/channel.h"
#include "worker/listener/router.h"

namespace backend::worker::testing {

// The JSON of one framed reply.
inline std::string unframed(const std::string& framed) {
  auto length = protocol::frame_length(framed);
  EXPECT_TRUE(length && framed.size() == protocol::kFrameHeaderSize + *length) << framed;
  return framed.substr(protocol::kFrameHeaderSize);
}

// A loop and a channel socketpair: the listener's end for the code under
// test, the other end played by the test as the supervisor.
struct ChannelPair {
  ChannelPair() {
    uv_loop_init(&loop);
    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
    size_channel_socket(fds[0]);
    size_channel_socket(fds[1]);
    supervisor = std::make_unique<Channel>(&loop, fds[1], [this](ChannelKind kind, uint64_t id, std::string_view p) {
      received.push_back({kind, id, std::string(p)});
    });
  }
  ~ChannelPair() {
    supervisor->close();
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_walk(&loop, [](uv_handle_t* h, void*) {
      if (!uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    close(fds[0]);
    close(fds[1]);
  }
  // Runs the loop until `done` or 200 turns.
  template <class Done>
  bool run_until(Done done) {
    for (int i = 0; i < 200 && !done(); ++i) uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
    return done();
  }
  struct Message {
    ChannelKind kind;
    uint64_t id;
    std::string payload;
  };
  uv_loop_t loop;
  int fds[2];
  std::unique_ptr<Channel> supervisor;
  std::vector<Message> received;  // what the supervisor was sent
};

// A front end: the tickets whose client still waits, and their answers.
struct RecordingFront : Router::Front {
  bool waiting(uint64_t ticket) const override { return !gone.count(ticket); }
  void answered(uint64_t ticket, std::string framed) override { answers[ticket] = unframed(framed); }
  std::set<uint64_t> gone;
  std::map<uint64_t, std::string> answers;
};

}  // namespace backend::worker::testing
