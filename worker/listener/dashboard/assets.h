// The dashboard's files, embedded in the binary at build time
// (embed_assets.cmake): found by their path under www/, each with its
// content type and its gzipped bytes.
#pragma once

#include <span>
#include <string_view>

namespace backend::worker::dashboard {

struct Asset {
  std::string_view path;  // under www/: "index.html", "pages/jobs.js"
  std::string_view content_type;
  std::string_view body;
  std::string_view gzipped;
};

// Every file, sorted by path.
std::span<const Asset> assets();

// The file at `path` under www/, or null.
const Asset* find_asset(std::string_view path);

}  // namespace backend::worker::dashboard
