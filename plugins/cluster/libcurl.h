// libcurl, loaded when the cluster's settings are read rather than linked
// into the server: with it come some thirty libraries (TLS, Kerberos, LDAP,
// SSH) whose relocated pages cost every server about 5 MiB of PSS, most of
// its idle memory, and only a host that joins a cluster uses any of them.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>

namespace backend::plugins::cluster {

// The calls the transport makes, bound from libcurl.so.4 (named like the
// API without its "curl_").
struct Libcurl {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_setopt) multi_setopt;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_assign) multi_assign;
  decltype(&::curl_multi_socket_action) multi_socket_action;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// Loads the library once, and curl_global_init()s it; later calls give the
// first call's answer. An error names the library and says why.
std::optional<std::string> load_libcurl();

// The loaded library; throws std::runtime_error with load_libcurl()'s error
// if it cannot be loaded.
const Libcurl& libcurl();

}  // namespace backend::plugins::cluster
