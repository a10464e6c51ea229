// backend-server: the daemon.
#include <iostream>

#include "conf/config.h"
#include "master/checked_config.h"
#include "master/master.h"
#include "master/options.h"
#include "shm/segment.h"
#include "worker/common/version.h"
#include "worker/listener/listener.h"
#include "worker/supervisor/supervisor.h"

int main(int argc, char** argv) {
  backend::master::Options options;
  if (auto err = backend::master::parse_options(argc, argv, options)) {
    std::cerr << "backend-server: " << *err << "\n\n" << backend::master::usage();
    return 64;
  }
  if (options.help) {
    std::cout << backend::master::usage();
    return 0;
  }
  if (options.version) {
    std::cout << "backend-server " << backend::server_version() << "\n";
    return 0;
  }
  if (options.check_config) {
    backend::conf::Config config;
    if (auto err = backend::master::load_checked_config(options.config_file, options.overrides, config)) {
      std::cerr << "backend-server: " << *err << "\n";
      return 1;
    }
    std::cout << options.config_file << ": OK\n";
    return 0;
  }
  // Asked by a running server before it execs this binary in its place
  // (SIGUSR2): can this build take it over? Its config loads, and the
  // server's shared memory is of the layout this build reads.
  if (options.check_upgrade) {
    backend::conf::Config config;
    if (auto err = backend::master::load_checked_config(options.config_file, options.overrides, config)) {
      std::cerr << "backend-server " << backend::server_version() << ": " << *err << "\n";
      return 1;
    }
    try {
      backend::shm::Segment::attach(config.shm_name, true);
    } catch (const backend::shm::SegmentError& e) {
      std::cerr << "backend-server " << backend::server_version() << " cannot take over: " << e.what() << "\n";
      return 1;
    }
    std::cout << "backend-server " << backend::server_version() << " can take over\n";
    return 0;
  }
  // The master forks the workers; their code is linked here, not into it.
  backend::worker::WorkerMains mains{backend::worker::run_listener, backend::worker::run_supervisor};
  return backend::master::Master(std::move(options), mains).run();
}
