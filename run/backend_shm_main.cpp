// backend-shm: shows what a running server holds in shared memory. It maps
// the segment read-only and so can never disturb the server.
#include <getopt.h>

#include <ctime>
#include <iostream>

#include "conf/config.h"
#include "run/shm_report.h"
#include "shm/segment.h"

namespace {

const char* kUsage =
    "Usage: backend-shm [options]\n"
    "Prints the shared memory of a running backend-server: header and job table.\n\n"
    "  -c, --config FILE     the server's config file (default: " BACKEND_DEFAULT_CONFIG ")\n"
    "      --listen HOST:PORT  the server's listen address, if overridden\n"
    "      --shm-name NAME   the segment's name, if overridden\n"
    "      --ring NAME       print the output ring of job NAME\n"
    "      --server-ring     print the server's output ring\n"
    "      --json            print JSON\n"
    "  -h, --help            print this help\n";

struct Args {
  std::string config = BACKEND_DEFAULT_CONFIG;
  backend::conf::Overrides overrides;
  std::string ring;
  bool server_ring = false, json = false;
};

int parse(int argc, char** argv, Args& a) {
  enum { kListen = 1000, kShm, kRing, kServerRing, kJson };
  static const option opts[] = {{"config", required_argument, nullptr, 'c'},
                                {"listen", required_argument, nullptr, kListen},
                                {"shm-name", required_argument, nullptr, kShm},
                                {"ring", required_argument, nullptr, kRing},
                                {"server-ring", no_argument, nullptr, kServerRing},
                                {"json", no_argument, nullptr, kJson},
                                {"help", no_argument, nullptr, 'h'},
                                {nullptr, 0, nullptr, 0}};
  for (int c; (c = getopt_long(argc, argv, "c:h", opts, nullptr)) != -1;) {
    switch (c) {
      case 'c': a.config = optarg; break;
      case kListen: a.overrides.listen = optarg; break;
      case kShm: a.overrides.shm_name = optarg; break;
      case kRing: a.ring = optarg; break;
      case kServerRing: a.server_ring = true; break;
      case kJson: a.json = true; break;
      case 'h': std::cout << kUsage; return 0;
      default: std::cerr << kUsage; return 64;
    }
  }
  return -1;
}

// The segment name: given, or derived from the config and --listen.
bool segment_name(const Args& a, std::string& name) {
  if (a.overrides.shm_name) return name = *a.overrides.shm_name, true;
  backend::conf::Config cfg;
  if (auto err = backend::conf::load_config(a.config, a.overrides, cfg)) {
    if (!a.overrides.listen) {
      std::cerr << "backend-shm: " << *err << "\n";
      return false;
    }
    cfg = {};
    if (auto e2 = backend::conf::finish_config(a.overrides, cfg)) return std::cerr << "backend-shm: " << *e2 << "\n", false;
  }
  name = cfg.shm_name;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (int rc = parse(argc, argv, args); rc >= 0) return rc;
  std::string name;
  if (!segment_name(args, name)) return 1;
  try {
    auto seg = backend::shm::Segment::attach(name, true);
    long now = static_cast<long>(std::time(nullptr));
    std::string out;
    if (args.server_ring || !args.ring.empty()) {
      if (!backend::tools::ring_lines(seg, args.server_ring ? "" : args.ring, args.json, out)) {
        std::cerr << "backend-shm: no job \"" << args.ring << "\" in shared memory \"" << name << "\"\n";
        return 1;
      }
    } else if (args.json) {
      out = backend::tools::status_json(name, seg, now);
    } else {
      out = backend::tools::header_text(name, seg) + "\n" + backend::tools::jobs_text(seg, now);
    }
    std::cout << out;
    return 0;
  } catch (const backend::shm::SegmentError& e) {
    std::cerr << "backend-shm: " << e.what() << "\n";
    return 1;
  }
}
