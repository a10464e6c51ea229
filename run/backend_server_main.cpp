// backend-server: the daemon. It writes with stdio, not iostreams: with
// libstdc++ linked in (CMakeLists.txt, BACKEND_STATIC_CXX), iostreams would
// bring the locale machinery along, whose start-up touches half a MiB.
#include <cstdio>
#include <string>

#include "conf/config.h"
#include "master/checked_config.h"
#include "master/master.h"
#include "master/options.h"
#include "shm/segment.h"
#include "worker/common/version.h"
#include "worker/listener/listener.h"
#include "worker/supervisor/supervisor.h"

namespace {

void say(FILE* to, const std::string& text) { std::fputs(text.c_str(), to); }

}  // namespace

int main(int argc, char** argv) {
  backend::master::Options options;
  if (auto err = backend::master::parse_options(argc, argv, options)) {
    say(stderr, "backend-server: " + *err + "\n\n" + backend::master::usage());
    return 64;
  }
  if (options.help) {
    say(stdout, backend::master::usage());
    return 0;
  }
  // "backend-server VERSION", as --version and --check-upgrade say it.
  const std::string self = "backend-server " + std::string(backend::server_version());
  if (options.version) {
    say(stdout, self + "\n");
    return 0;
  }
  if (options.check_config) {
    backend::conf::Config config;
    if (auto err = backend::master::load_checked_config(options.config_file, options.overrides, config)) {
      say(stderr, "backend-server: " + *err + "\n");
      return 1;
    }
    say(stdout, options.config_file + ": OK\n");
    return 0;
  }
  // Asked by a running server before it execs this binary in its place
  // (SIGUSR2): can this build take it over? Its config loads, and the
  // server's shared memory is of the layout this build reads.
  if (options.check_upgrade) {
    backend::conf::Config config;
    if (auto err = backend::master::load_checked_config(options.config_file, options.overrides, config)) {
      say(stderr, self + ": " + *err + "\n");
      return 1;
    }
    try {
      backend::shm::Segment::attach(config.shm_name, true);
    } catch (const backend::shm::SegmentError& e) {
      say(stderr, self + " cannot take over: " + e.what() + "\n");
      return 1;
    }
    say(stdout, self + " can take over\n");
    return 0;
  }
  // The master forks the workers; their code is linked here, not into it.
  backend::worker::WorkerMains mains{backend::worker::run_listener, backend::worker::run_supervisor};
  return backend::master::Master(std::move(options), mains).run();
}
