// The server's settings: loaded from a JSON file (comments allowed), checked
// key by key, with paths made absolute.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/cluster_config.h"

namespace backend::conf {

struct Config {
  std::string file;  // where it was read from; empty for the built-in default
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 13123;
  std::string data_dir;  // absolute
  std::string pidfile;   // absolute; data_dir/backend-server.pid unless set
  std::string shm_name;  // derived from the listen address unless set
  std::string log_level = "info";
  std::string timezone;  // empty: the system's
  bool log_queries = false;
  uint32_t job_capacity = 1024;
  uint32_t ring_bytes = 256 * 1024;
  uint32_t server_ring_bytes = 64 * 1024;
  uint32_t max_frame_bytes = 16 * 1024 * 1024;
  uint32_t idle_timeout = 60;  // seconds
  uint32_t max_connections = 4096;
  // Extension -> program that runs such files, so the original's PHP job
  // scripts run unchanged.
  std::map<std::string, std::string> interpreters{{".php", "php"}};
  // Plugins to load, by name; {"*"} loads every plugin there is.
  std::vector<std::string> autoload_plugins{"*"};
  // Each plugin's settings block, as compact JSON objects, by plugin name.
  // The plugins check them (plugins/loader.h); here they are only kept.
  std::map<std::string, std::string> plugin_settings;
  // Listening beyond loopback with nobody to authenticate is refused unless
  // this says the operator wants it.
  bool allow_insecure_remote = false;
  // Jobs a crashed server left running: "adopt" them (no output capture)
  // or "stop" them, at the next start.
  std::string orphaned_jobs = "adopt";
  // Started as root, the listener serves as this user once its socket is
  // bound; empty keeps it root. Ignored when not started as root.
  std::string listener_user = "nobody";
  // A Unix domain socket to serve on as well, as supervisord's
  // [unix_http_server]: its path ("" for none), mode, and "user[:group]"
  // owner ("" keeps the server's). Read at start.
  std::string unix_socket;
  uint32_t unix_socket_mode = 0700;
  std::string unix_socket_owner;
  // The HTTP face (PROTOCOL.md, "The HTTP face"): where it listens, from
  // "http_listen": "HOST:PORT"; "" turns it off (http_port 0).
  std::string http_host = "127.0.0.1";
  uint16_t http_port = 13124;
  // Names besides http_host that clients may call the HTTP face by: a
  // request whose Host names anything else is refused (DNS rebinding).
  std::vector<std::string> http_hosts{"localhost"};
  // One host of a fleet on etcd (conf/cluster_config.h); off without the block.
  ClusterConfig cluster;
};

// Command-line values that win over the file's, at start and on every reload.
struct Overrides {
  std::optional<std::string> listen;    // HOST:PORT
  std::optional<std::string> data_dir;  // absolute
  std::optional<std::string> shm_name;
  std::optional<std::string> http_listen;  // HOST:PORT, or "" for none
};

// Parses config text. Relative paths are taken from base_dir (the config
// file's folder). Returns the error sentence, naming the key, on failure.
std::optional<std::string> parse_config(const std::string& text, const std::string& base_dir,
                                        Config& out);
// Reads and parses a file, then applies the overrides and fills in defaults.
std::optional<std::string> load_config(const std::string& path, const Overrides& overrides,
                                       Config& out);
// Applies overrides and derives pidfile and shm_name where unset.
std::optional<std::string> finish_config(const Overrides& overrides, Config& out);

// "HOST:PORT" into its parts; false when it is not one.
bool parse_listen(const std::string& text, std::string& host, uint16_t& port);
// http_listen as the config writes it: "HOST:PORT", or "" when off.
std::string http_listen_of(const Config& config);

// The effective config as JSON, absolute paths and all, so that the workers
// can take it over on reload exactly as the master checked it.
std::string config_to_json(const Config& config);

// The keys whose change takes effect only at the next start, in one table
// (config.cpp): a reload keeps their running values in `next`, so that a
// worker started again after it died runs the config its sibling runs, and
// returns the names of those that changed, for the warning ("" for none).
std::string hold_restart_only(const Config& running, Config& next);

}  // namespace backend::conf
