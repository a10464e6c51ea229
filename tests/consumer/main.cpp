// Uses the installed client library end to end: adds a job that prints a
// line, starts it, waits until READ shows the line, stops and deletes it.
//   consumer HOST PORT
// Exit status: 0 when all that worked, 1 when a call failed, 2 on a usage
// error, 4 when the server could not be reached or gave no usable reply.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <backend/client.h>

namespace bc = backend::client;

namespace {

constexpr int kCallFailed = 1;
constexpr int kTransport = 4;

// Prints a failed call; its exit status, 0 when it did not fail.
int failure(const char* what, const bc::Result& r) {
  if (r.ok()) return 0;
  std::cerr << "consumer: " << what << ": " << r.code_text() << ": " << r.error() << "\n";
  return r.code() == bc::Code::kTransport ? kTransport : kCallFailed;
}

bool output_shows(bc::Backend& be, const std::string& job, const std::string& line) {
  bc::Result r = be.read(job);
  return r.ok() && r.data().IsString() && std::string(r.data().GetString()).find(line) != std::string::npos;
}

int run(bc::Backend& be, const std::string& job) {
  const std::string line = "hello from consumer";
  // params are split like a shell splits words, quotes honoured.
  auto setting = bc::Params().set("params", "-c 'echo " + line + "; sleep 30'");
  if (int rc = failure("add", be.add(job, "/bin/sh", setting))) return rc;
  int rc = failure("start", be.start(job));
  if (rc == 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!output_shows(be, job, line) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!output_shows(be, job, line)) {
      std::cerr << "consumer: READ did not show \"" << line << "\" within 10 s\n";
      rc = kCallFailed;
    }
    if (int stop = failure("stop", be.stop(job))) rc = rc ? rc : stop;
  }
  if (int del = failure("delete", be.remove(job))) rc = rc ? rc : del;
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " HOST PORT\n";
    return 2;
  }
  int port = std::atoi(argv[2]);
  if (port < 1 || port > 65535) {
    std::cerr << "consumer: bad port " << argv[2] << "\n";
    return 2;
  }
  bc::Backend be;
  be.init(argv[1], static_cast<uint16_t>(port));
  // One name per process: the three builds may share a server.
  std::string job = "consumer-" + std::to_string(getpid());
  int rc = run(be, job);
  if (rc == 0) std::cout << "consumer: " << job << " added, started, read, stopped and deleted\n";
  return rc;
}
