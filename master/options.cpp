#include "master/options.h"

#include <getopt.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace backend::master {
namespace {

std::string absolute_path(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return p;
  return std::string(cwd) + "/" + p;
}

}  // namespace

std::string usage() {
  return "Usage: backend-server [options]\n"
         "Keeps background jobs running and serves the job API over TCP.\n\n"
         "  -c, --config FILE     config file (default: " BACKEND_DEFAULT_CONFIG ")\n"
         "      --daemon          detach: double fork, setsid, stdio to /dev/null\n"
         "      --listen HOST:PORT  listen there instead of the config's address\n"
         "      --http-listen HOST:PORT  serve the HTTP face there (\"\" for none)\n"
         "      --data-dir DIR    keep settings, logs and the pidfile in DIR\n"
         "      --shm-name NAME   name of the shared memory segment\n"
         "      --check-config    check the config file and exit\n"
         "      --check-upgrade   check that this binary can take over the running server\n"
         "                        (SIGUSR2 runs it first) and exit\n"
         "      --version         print the version and exit\n"
         "  -h, --help            print this help and exit\n\n"
         "Signals: HUP reloads the config, TERM and INT stop, USR1 reopens log files,\n"
         "USR2 upgrades in place: the binary at the server's path takes over, the jobs run on.\n";
}

std::optional<std::string> parse_options(int argc, char** argv, Options& out) {
  enum { kDaemon = 1000, kListen, kHttpListen, kDataDir, kShmName, kCheck, kCheckUpgrade, kVersion };
  static const option longopts[] = {
      {"config", required_argument, nullptr, 'c'},     {"daemon", no_argument, nullptr, kDaemon},
      {"listen", required_argument, nullptr, kListen}, {"http-listen", required_argument, nullptr, kHttpListen},
      {"data-dir", required_argument, nullptr, kDataDir},
      {"shm-name", required_argument, nullptr, kShmName}, {"check-config", no_argument, nullptr, kCheck},
      {"check-upgrade", no_argument, nullptr, kCheckUpgrade},
      {"version", no_argument, nullptr, kVersion},     {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0}};
  Options o;
  o.argv.assign(argv, argv + argc);
  opterr = 0;
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, ":c:h", longopts, nullptr)) != -1;) {
    switch (c) {
      case 'c': o.config_file = absolute_path(optarg); break;
      case kDaemon: o.daemon = true; break;
      case kListen: o.overrides.listen = optarg; break;
      case kHttpListen: o.overrides.http_listen = optarg; break;
      case kDataDir: o.overrides.data_dir = absolute_path(optarg); break;
      case kShmName: o.overrides.shm_name = optarg; break;
      case kCheck: o.check_config = true; break;
      case kCheckUpgrade: o.check_upgrade = true; break;
      case kVersion: o.version = true; break;
      case 'h': o.help = true; break;
      case ':': return std::string("option ") + argv[optind - 1] + " needs a value";
      default: return std::string("unknown option ") + argv[optind - 1];
    }
  }
  if (optind < argc) return std::string("unexpected argument ") + argv[optind];
  if (o.config_file.empty()) o.config_file = BACKEND_DEFAULT_CONFIG;
  out = std::move(o);
  return std::nullopt;
}

}  // namespace backend::master
