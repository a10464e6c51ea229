#include "plugins/logexplorer/answer.h"

#include <utility>
#include <vector>

#include "plugins/logexplorer/log_listing.h"
#include "plugins/logexplorer/log_paths.h"

namespace backend::plugins::logexplorer {

namespace {

Reply failed(std::string error) { return {Code::kFailed, {}, std::move(error)}; }

std::string json_array(const std::vector<std::string>& names) {
  std::string out = "[";
  for (const auto& name : names) {
    if (out.size() > 1) out += ',';
    protocol::append_json_string(out, name);
  }
  out += ']';
  return out;
}

Reply list(const std::string& log_dir, const std::vector<std::string>& parts, EntryKind kind,
           bool missing_is_empty) {
  Opened dir = open_folder(log_dir, parts);
  if (dir.failure == Opened::Failure::kMissing && missing_is_empty) return {Code::kOk, "[]", {}};
  if (!dir.fd) return failed(std::move(dir.error));
  std::string error;
  auto names = list_entries(dir.fd.get(), kind, error);
  if (!names) return failed(std::move(error));
  return {Code::kOk, json_array(*names), {}};
}

Reply get(const std::string& log_dir, const std::vector<std::string>& parts, const ReadRange& range,
          uint64_t max_bytes) {
  Opened file = open_file(log_dir, parts);
  if (!file.fd) return failed(std::move(file.error));
  ReadResult read = read_range(file.fd.get(), range, max_bytes);
  if (!read.ok) return failed(std::move(read.error));
  // append_json_string writes each invalid UTF-8 byte as U+FFFD, so a log
  // holding any bytes still gives valid JSON.
  std::string data;
  protocol::append_json_string(data, read.bytes);
  return {Code::kOk, std::move(data), std::move(read.error)};
}

}  // namespace

Reply answer(const Request& request, const std::string& log_dir, uint64_t max_bytes) {
  std::vector<std::string> parts = request.folder;
  switch (request.verb) {
    case Verb::kListDir:
      return list(log_dir, parts, EntryKind::kFolder, true);
    case Verb::kListFile:
      parts.push_back(request.dirname);
      return list(log_dir, parts, EntryKind::kFile, false);
    case Verb::kGet:
      parts.push_back(request.dirname);
      parts.push_back(request.filename);
      return get(log_dir, parts, request.range, max_bytes);
  }
  return failed("not a command of the logexplorer plugin");
}

}  // namespace backend::plugins::logexplorer
