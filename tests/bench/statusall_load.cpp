// bench_statusall_load: a closed-loop load generator for STATUSALL.
//
// Each client sends one request, waits for the whole reply, records the
// latency and only then sends the next (no pipelining), so every latency is
// the time one request really took. Clients are non-blocking sockets driven
// by an epoll loop; one thread drives many clients (--threads, default 1:
// on a 2-core machine the server's single-threaded listener needs the other
// core). Nothing is allocated per request: replies are read into one
// scratch buffer per thread and latencies go into a preallocated log-linear
// histogram (bucket width under 0.8 % of the value).
//
// Modes:
//   keepalive  each client opens one connection and sends request after
//              request on it; latency = send of the request .. last byte of
//              the reply.
//   connect    each request is connect, send, read the reply, close; latency
//              = connect() .. last byte of the reply (the handshake counts).
//              Connections to an IPv4 loopback server are bound to 16 source
//              addresses in turn (--source-addrs): see the note in main().
//
// With --server-pid the JSON also tells the CPU use of that process (the
// listener) over the measured window, beside the generator's own and the
// whole machine's, so that a run disturbed by other work shows as such.
//
// Output: one line of JSON on stdout, diagnostics on stderr. Exit status 0
// when the run completed (even with request errors: they are counted in
// "errors"), 2 on bad arguments, 1 when the setup (jobs, address) failed.
//
//   bench_statusall_load --port 13123 --clients 32 --seconds 5 --mode keepalive
//   bench_statusall_load --port 13123 --clients 1 --requests 100000 --mode connect --jobs 100
//   bench_statusall_load --port 13123 --clients 8 --each 1000 --request 'START {"jobname":"s{n}"}'
//   bench_statusall_load --print-free-port     (prints a free loopback TCP port)

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// ---------------------------------------------------------------- time

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// ---------------------------------------------------------------- histogram

// Log-linear histogram of nanoseconds: values below 2^(kSubBits+1) have a
// bucket each, above that every power of two is split into 2^kSubBits
// buckets. Fixed size, no allocation while recording.
class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t(1) << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    sum_ += v;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }

  void merge(const Histogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
  }

  uint64_t total() const { return total_; }
  uint64_t max() const { return total_ ? max_ : 0; }
  uint64_t min() const { return total_ ? min_ : 0; }
  double mean() const { return total_ ? double(sum_) / double(total_) : 0.0; }

  // The value at quantile q (0..1): the middle of the bucket that holds the
  // ceil(q * total)-th smallest value, clamped to the observed min and max.
  double quantile(double q) const {
    if (!total_) return 0.0;
    uint64_t rank = uint64_t(std::ceil(q * double(total_)));
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        double lo = double(lower(i)), hi = double(lower(i + 1));
        double mid = (lo + hi - 1) / 2;
        return std::clamp(mid, double(min()), double(max()));
      }
    }
    return double(max());
  }

 private:
  static size_t index(uint64_t v) {
    if (v < 2 * kSub) return size_t(v);
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - kSubBits;
    return size_t(shift + 1) * kSub + size_t((v >> shift) - kSub);
  }
  static uint64_t lower(size_t i) {
    if (i < 2 * kSub) return i;
    size_t shift = i / kSub - 1;
    if (shift >= 64 - kSubBits) return UINT64_MAX;
    return (kSub + i % kSub) << shift;
  }

  uint64_t counts_[kBuckets] = {};
  uint64_t total_ = 0, sum_ = 0, max_ = 0, min_ = UINT64_MAX;
};

// ---------------------------------------------------------------- options

enum class Mode { kKeepAlive, kConnect };

struct Options {
  std::string host = "127.0.0.1";
  int port = 13123;
  int clients = 1;
  int threads = 1;
  double seconds = 0;      // 0 with requests == 0: 5 s
  uint64_t requests = 0;   // total, over all clients
  double warmup = 0;       // seconds run before measuring starts
  Mode mode = Mode::kKeepAlive;
  int jobs = 0;
  int server_pid = 0;      // process whose CPU use over the measured window is reported
  int source_addrs = -1;   // connect mode: loopback source addresses to spread over (-1: default)
  std::string label;
  std::string auth;  // "USER:PASSWORD": every STATUSALL carries these credentials
  std::string request;  // sent instead of STATUSALL when set
  uint64_t each = 0;    // send request once for each n in 0..each-1, "{n}" replaced by n
};

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "Usage: bench_statusall_load [options]\n"
               "Closed-loop STATUSALL load; prints one JSON line of results.\n\n"
               "  --host HOST         server address (default 127.0.0.1)\n"
               "  --port PORT         server port (default 13123)\n"
               "  --clients N         concurrent clients (default 1)\n"
               "  --threads N         event-loop threads, clients spread over them (default 1)\n"
               "  --seconds S         measure for S seconds (default 5)\n"
               "  --requests N        or: stop after N requests in all\n"
               "  --warmup S          run S seconds before measuring (default 0)\n"
               "  --mode M            keepalive (default) or connect (one request per connection)\n"
               "  --jobs N            ADD jobs bench-0..N-1 first, DELETE them afterwards (default 0)\n"
               "  --label TEXT        copied into the JSON as \"label\"\n"
               "  --auth USER:PASS    send these credentials with every request (auth plugin)\n"
               "  --request PAYLOAD   send this request instead of STATUSALL, e.g.\n"
               "                      'STATUS {\"jobname\":\"bench-0\"}' (not with --auth)\n"
               "  --each N            send the request once for each n in 0..N-1, with \"{n}\"\n"
               "                      in it replaced by n (e.g. START of N jobs), then stop\n"
               "  --server-pid PID    also report the CPU use of this process (the listener)\n"
               "  --source-addrs N    connect mode to an IPv4 loopback server: bind each new\n"
               "                      connection to one of 127.0.0.1..127.0.0.N in turn, so that\n"
               "                      TIME_WAIT ports do not make connect() search (default 16;\n"
               "                      0: let the kernel pick, all from one address)\n"
               "  --print-free-port   print a free TCP port on 127.0.0.1 and exit\n");
  std::exit(status);
}

bool parse_number(const char* s, double& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s, &end);
  return errno == 0 && end != s && *end == '\0' && std::isfinite(out) && out >= 0;
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool seconds_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") usage(0);
    if (a == "--print-free-port") {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof sa;
      if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
          getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) < 0) {
        std::perror("bench_statusall_load: free port");
        std::exit(1);
      }
      std::printf("%d\n", ntohs(sa.sin_port));
      close(fd);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_statusall_load: %s needs a value (or is unknown)\n", argv[i]);
      usage(2);
    }
    const char* v = argv[++i];
    double num = 0;
    auto need_num = [&](double lo, double hi) {
      if (!parse_number(v, num) || num < lo || num > hi) {
        std::fprintf(stderr, "bench_statusall_load: bad value for %s: %s\n", argv[i - 1], v);
        usage(2);
      }
    };
    if (a == "--host") {
      o.host = v;
    } else if (a == "--port") {
      need_num(1, 65535);
      o.port = int(num);
    } else if (a == "--clients") {
      need_num(1, 100000);
      o.clients = int(num);
    } else if (a == "--threads") {
      need_num(1, 256);
      o.threads = int(num);
    } else if (a == "--seconds") {
      need_num(0.001, 86400);
      o.seconds = num;
      seconds_given = true;
    } else if (a == "--requests") {
      need_num(1, 1e15);
      o.requests = uint64_t(num);
    } else if (a == "--warmup") {
      need_num(0, 3600);
      o.warmup = num;
    } else if (a == "--jobs") {
      need_num(0, 65536);
      o.jobs = int(num);
    } else if (a == "--mode") {
      if (std::string_view(v) == "keepalive") o.mode = Mode::kKeepAlive;
      else if (std::string_view(v) == "connect") o.mode = Mode::kConnect;
      else {
        std::fprintf(stderr, "bench_statusall_load: --mode is keepalive or connect, not %s\n", v);
        usage(2);
      }
    } else if (a == "--each") {
      need_num(1, 1e9);
      o.each = o.requests = uint64_t(num);
    } else if (a == "--server-pid") {
      need_num(1, 1 << 30);
      o.server_pid = int(num);
    } else if (a == "--source-addrs") {
      need_num(0, 250);
      o.source_addrs = int(num);
    } else if (a == "--label") {
      o.label = v;
    } else if (a == "--auth") {
      o.auth = v;
    } else if (a == "--request") {
      o.request = v;
    } else {
      std::fprintf(stderr, "bench_statusall_load: unknown option %s\n", argv[i - 1]);
      usage(2);
    }
  }
  if (!seconds_given && o.requests == 0) o.seconds = 5;
  if (o.threads > o.clients) o.threads = o.clients;
  return o;
}

// ---------------------------------------------------------------- address

struct Address {
  sockaddr_storage sa{};
  socklen_t len = 0;
  int family = AF_INET;
  std::vector<sockaddr_in> sources;  // local addresses to bind, in turn (connect mode)
};

bool resolve(const std::string& host, int port, Address& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    std::fprintf(stderr, "bench_statusall_load: cannot resolve %s: %s\n", host.c_str(), gai_strerror(rc));
    return false;
  }
  std::memcpy(&out.sa, res->ai_addr, res->ai_addrlen);
  out.len = res->ai_addrlen;
  out.family = res->ai_family;
  freeaddrinfo(res);
  return true;
}

// ---------------------------------------------------------------- simple blocking calls (setup only)

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n) {
    ssize_t r = recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

void put_u32le(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = char((v >> (8 * i)) & 0xff);
}

std::string framed(std::string_view payload) {
  std::string frame(4, '\0');
  put_u32le(frame.data(), uint32_t(payload.size()));
  frame += payload;
  return frame;
}

uint32_t get_u32le(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(p[i])) << (8 * i);
  return v;
}

// One request on its own blocking connection; the reply's JSON in reply.
bool call(const Address& addr, const std::string& payload, std::string& reply) {
  int fd = socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&addr.sa), addr.len) == 0;
  std::string frame = framed(payload);
  char head[4];
  ok = ok && write_all(fd, frame.data(), frame.size()) && read_all(fd, head, 4);
  if (ok) {
    reply.assign(get_u32le(head), '\0');
    ok = read_all(fd, reply.data(), reply.size());
  }
  close(fd);
  return ok;
}

bool reply_ok(std::string_view reply) { return reply.rfind("{\"code\":\"OK\"", 0) == 0; }

// ---------------------------------------------------------------- the load loop

// The framed request every client sends, built once in main().
std::string g_payload = "STATUSALL";
std::string g_request;
// --each: the request is built per n from g_payload instead.
constexpr std::string_view kEachMark = "{n}";
bool g_each = false;
std::atomic<uint64_t> g_each_next{0};

std::string numbered_request(uint64_t n) {
  std::string p = g_payload;
  for (size_t at = p.find(kEachMark); at != std::string::npos; at = p.find(kEachMark, at))
    p.replace(at, kEachMark.size(), std::to_string(n));
  return framed(p);
}
constexpr std::string_view kOkPrefix = "{\"code\":\"OK\"";
constexpr size_t kScratch = 256 * 1024;

struct Errors {
  uint64_t connect = 0;    // socket/connect failed or was refused
  uint64_t io = 0;         // reset, EOF or send failure before the whole reply
  uint64_t reply = 0;      // reply not {"code":"OK"..., or bytes nobody asked for
  uint64_t total() const { return connect + io + reply; }
};

enum class State : uint8_t { kIdle, kConnecting, kReading };

struct Conn {
  int fd = -1;
  State state = State::kIdle;
  uint64_t t_start = 0;     // request (or connect) start
  uint32_t head_got = 0;    // bytes of the 4-byte length read
  char head[4];
  uint32_t body_left = 0;   // bytes of the body still to read
  uint32_t prefix_got = 0;  // bytes of the body checked against kOkPrefix
  bool prefix_bad = false;
};

class Worker {
 public:
  Worker(const Options& o, const Address& addr, int clients, uint64_t quota, uint64_t measure_from,
         uint64_t deadline)
      : o_(o), addr_(addr), conns_(size_t(clients)), quota_(quota), measure_from_(measure_from),
        deadline_(deadline), scratch_(new char[kScratch]), events_(size_t(clients)) {}

  ~Worker() {
    for (Conn& c : conns_)
      if (c.fd >= 0) close(c.fd);
    if (ep_ >= 0) close(ep_);
  }

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      std::perror("bench_statusall_load: epoll_create1");
      errors_.connect += conns_.size();
      return;
    }
    idle_ = conns_.size();
    while (true) {
      uint64_t now = now_ns();
      if (deadline_ && now >= deadline_) break;
      if (quota_ && issued_ >= quota_ && in_flight_ == 0) break;
      // Clients without a request in flight: at the start, after an error,
      // or when socket() failed. Nothing is idle in steady state.
      if (idle_ && !(quota_ && issued_ >= quota_)) {
        for (Conn& c : conns_)
          if (c.state == State::kIdle) start(c);
        if (in_flight_ == 0) {
          usleep(1000);  // every client failed at once (server gone?): do not spin
          continue;
        }
      }
      int n = epoll_wait(ep_, events_.data(), int(events_.size()), 10);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::perror("bench_statusall_load: epoll_wait");
        break;
      }
      for (int i = 0; i < n; ++i) on_event(conns_[events_[i].data.u32], events_[i].events);
    }
  }

  const Histogram& histogram() const { return hist_; }
  const Errors& errors() const { return errors_; }
  uint64_t completed() const { return completed_; }
  uint64_t reply_bytes() const { return last_reply_bytes_; }

 private:
  bool counting(uint64_t t) const { return t >= measure_from_; }

  // Errors are counted over the whole run, warm-up included.
  void fail(Conn& c, uint64_t& counter) {
    ++counter;
    if (c.fd >= 0) close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    set_idle(c);
  }

  void set_idle(Conn& c) {
    if (c.state == State::kIdle) return;
    c.state = State::kIdle;
    --in_flight_;
    ++idle_;
  }

  void set_busy(Conn& c, State s) {
    if (c.state == State::kIdle) {
      ++in_flight_;
      --idle_;
    }
    c.state = s;
  }

  // Begins the client's next request, on a new connection when it has none.
  void start(Conn& c) {
    if (quota_ && issued_ >= quota_) {
      if (c.fd >= 0) close(c.fd);
      c.fd = -1;
      return;
    }
    ++issued_;
    c.t_start = now_ns();
    if (c.fd >= 0) {
      set_busy(c, State::kReading);
      return send_request(c);
    }
    set_busy(c, State::kConnecting);
    c.fd = socket(addr_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, errors_.connect);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!addr_.sources.empty()) {
      // The port is still chosen by connect(), unique per 4-tuple: each
      // source address has the whole ephemeral range to itself.
      setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      const sockaddr_in& src = addr_.sources[next_source_++ % addr_.sources.size()];
      if (bind(c.fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) < 0) return fail(c, errors_.connect);
    }
    int rc = connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_.sa), addr_.len);
    if (rc < 0 && errno != EINPROGRESS) return fail(c, errors_.connect);
    // Edge-triggered, both directions, for the connection's whole life:
    // writable once connected, readable when a reply arrives. No epoll_ctl
    // per request.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = uint32_t(&c - conns_.data());
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) < 0) return fail(c, errors_.connect);
    if (rc == 0) send_request(c);
  }

  void send_request(Conn& c) {
    c.state = State::kReading;
    c.head_got = 0;
    c.body_left = 0;
    c.prefix_got = 0;
    c.prefix_bad = false;
    std::string numbered;
    const std::string& request = g_each ? (numbered = numbered_request(g_each_next++)) : g_request;
    ssize_t w = send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
    if (w == ssize_t(request.size())) return;
    // A request this small into an empty send buffer are never cut short on a healthy
    // connection: anything else is an error.
    fail(c, w < 0 && (errno == ECONNREFUSED || errno == ENOTCONN) ? errors_.connect : errors_.io);
  }

  void on_event(Conn& c, uint32_t events) {
    if (c.state == State::kConnecting) {
      if (events & (EPOLLERR | EPOLLHUP)) return fail(c, errors_.connect);
      if (events & EPOLLOUT) send_request(c);
      return;  // the reply cannot be here yet; its EPOLLIN edge comes later
    }
    if (c.state != State::kReading) return;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) read_reply(c);
  }

  // Reads until the reply is whole or the socket is empty (edge-triggered).
  // A reply that comes in one segment costs one recv().
  void read_reply(Conn& c) {
    while (true) {
      ssize_t r = recv(c.fd, scratch_.get(), kScratch, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return fail(c, errors_.io);
      }
      if (r == 0) return fail(c, errors_.io);
      const char* p = scratch_.get();
      size_t n = size_t(r);
      if (c.head_got < 4) {
        size_t take = std::min<size_t>(4 - c.head_got, n);
        std::memcpy(c.head + c.head_got, p, take);
        c.head_got += uint32_t(take);
        p += take;
        n -= take;
        if (c.head_got < 4) continue;
        c.body_left = get_u32le(c.head);
        if (c.body_left == 0) return fail(c, errors_.reply);
      }
      if (c.prefix_got < kOkPrefix.size()) {
        size_t take = std::min(kOkPrefix.size() - c.prefix_got, std::min<size_t>(n, c.body_left));
        if (std::memcmp(p, kOkPrefix.data() + c.prefix_got, take) != 0) c.prefix_bad = true;
        c.prefix_got += uint32_t(take);
      }
      if (n > c.body_left) return fail(c, errors_.reply);  // bytes after the reply: nobody asked
      c.body_left -= uint32_t(n);
      if (c.body_left == 0) return finish(c);
    }
  }

  void finish(Conn& c) {
    uint64_t t = now_ns();
    if (c.prefix_bad || c.prefix_got < kOkPrefix.size()) return fail(c, errors_.reply);
    if (counting(t)) {
      hist_.record(t - c.t_start);
      ++completed_;
    }
    last_reply_bytes_ = get_u32le(c.head);
    set_idle(c);
    if (o_.mode == Mode::kConnect) {
      close(c.fd);
      c.fd = -1;
    }
    if (deadline_ && t >= deadline_) return;
    start(c);
  }

  const Options& o_;
  const Address& addr_;
  std::vector<Conn> conns_;
  uint64_t quota_;
  uint64_t measure_from_, deadline_;
  std::unique_ptr<char[]> scratch_;
  std::vector<epoll_event> events_;
  int ep_ = -1;
  size_t idle_ = 0;
  size_t next_source_ = 0;
  uint64_t issued_ = 0, in_flight_ = 0, completed_ = 0, last_reply_bytes_ = 0;
  Histogram hist_;
  Errors errors_;
};

// ---------------------------------------------------------------- jobs

bool add_jobs(const Address& addr, int jobs) {
  for (int i = 0; i < jobs; ++i) {
    std::string reply;
    std::string payload = "ADD {\"jobname\":\"bench-" + std::to_string(i) + "\",\"command\":\"/bin/true\"}";
    if (!call(addr, payload, reply)) {
      std::fprintf(stderr, "bench_statusall_load: ADD bench-%d: no reply\n", i);
      return false;
    }
    // A job left behind by an interrupted run is reused.
    if (!reply_ok(reply) && reply.find("exist") == std::string::npos) {
      std::fprintf(stderr, "bench_statusall_load: ADD bench-%d: %s\n", i, reply.c_str());
      return false;
    }
  }
  return true;
}

bool delete_jobs(const Address& addr, int jobs) {
  bool ok = true;
  for (int i = 0; i < jobs; ++i) {
    std::string reply;
    std::string payload = "DELETE {\"jobname\":\"bench-" + std::to_string(i) + "\"}";
    if (!call(addr, payload, reply) || !reply_ok(reply)) {
      std::fprintf(stderr, "bench_statusall_load: DELETE bench-%d: %s\n", i, reply.c_str());
      ok = false;
    }
  }
  return ok;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process in seconds, from /proc/PID/stat; -1 when
// it cannot be read.
double process_cpu_seconds(int pid) {
  if (pid <= 0) return -1;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the name may hold spaces
  if (!p) return -1;
  unsigned long long utime = 0, stime = 0;
  // Fields after the name: state(3) ... utime(14) stime(15).
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// Busy and steal time of all CPUs together, in seconds, from /proc/stat.
void system_cpu_seconds(double& busy, double& steal) {
  busy = steal = -1;
  FILE* f = std::fopen("/proc/stat", "r");
  if (!f) return;
  unsigned long long v[8] = {};
  int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                      &v[6], &v[7]);
  std::fclose(f);
  if (n != 8) return;
  // user nice system idle iowait irq softirq steal
  double hz = double(sysconf(_SC_CLK_TCK));
  busy = double(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
  steal = double(v[7]) / hz;
}

// CPU used by this process, by --server-pid and by the whole machine
// between two points in time.
struct CpuSample {
  uint64_t t = 0;
  double self = 0, server = -1, busy = -1, steal = -1;
  static CpuSample take(int server_pid) {
    CpuSample s{now_ns(), cpu_seconds(), process_cpu_seconds(server_pid)};
    system_cpu_seconds(s.busy, s.steal);
    return s;
  }
};

std::string json_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (uint8_t(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  if (!o.request.empty() && !o.auth.empty()) {
    std::fprintf(stderr, "bench_statusall_load: --request and --auth do not go together\n");
    usage(2);
  }
  if (!o.request.empty()) g_payload = o.request;
  if (auto colon = o.auth.find(':'); colon != std::string::npos)
    g_payload = "STATUSALL {\"auth\":{\"username\":\"" + o.auth.substr(0, colon) + "\",\"password\":\"" +
                o.auth.substr(colon + 1) + "\"}}";
  g_request = framed(g_payload);
  g_each = o.each > 0;
  Address addr;
  if (!resolve(o.host, o.port, addr)) return 1;
  // Closing first leaves the client's side of each connection in TIME_WAIT
  // for 60 s. From one source address, some 14,000 connections a second
  // fill the 28,000 ephemeral ports, and connect() then spends most of the
  // load generator's time searching for a reusable one (__inet_hash_connect):
  // the generator, not the server, would be measured.
  int sources = o.source_addrs < 0 ? 16 : o.source_addrs;
  if (o.mode == Mode::kConnect && sources > 0 && addr.family == AF_INET) {
    const auto& dst = reinterpret_cast<const sockaddr_in&>(addr.sa);
    if ((ntohl(dst.sin_addr.s_addr) >> 24) == 127) {
      for (int i = 0; i < sources; ++i) {
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + uint32_t(i));
        addr.sources.push_back(src);
      }
    }
  }

  if (o.jobs > 0 && !add_jobs(addr, o.jobs)) {
    delete_jobs(addr, o.jobs);
    return 1;
  }
  // One probe, so that a server that does not answer STATUSALL at all is
  // reported plainly instead of as millions of errors.
  // Not with --each: each request is to be sent once.
  std::string probe;
  if (!g_each && (!call(addr, g_payload, probe) || !reply_ok(probe))) {
    if (probe.empty())
      std::fprintf(stderr, "bench_statusall_load: no reply to %s from %s port %d\n", g_payload.c_str(),
                   o.host.c_str(), o.port);
    else
      std::fprintf(stderr, "bench_statusall_load: %s answered %s\n", g_payload.c_str(), probe.c_str());
    if (o.jobs > 0) delete_jobs(addr, o.jobs);
    return 1;
  }

  uint64_t t0 = now_ns();
  uint64_t measure_from = t0 + uint64_t(o.warmup * 1e9);
  uint64_t deadline = o.seconds > 0 ? measure_from + uint64_t(o.seconds * 1e9) : 0;
  // CPU over the measured window only: a sampler thread wakes when the
  // warm-up ends (it sleeps otherwise, costing nothing).
  CpuSample cpu_from;
  std::thread sampler([&] {
    uint64_t now = now_ns();
    if (measure_from > now) {
      uint64_t d = measure_from - now;
      timespec ts{time_t(d / 1000000000u), long(d % 1000000000u)};
      while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
      }
    }
    cpu_from = CpuSample::take(o.server_pid);
  });

  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; ++t) {
    int clients = o.clients / o.threads + (t < o.clients % o.threads ? 1 : 0);
    uint64_t quota = 0;
    if (o.requests) {
      quota = o.requests / uint64_t(o.threads) + (uint64_t(t) < o.requests % uint64_t(o.threads) ? 1 : 0);
      if (quota == 0) continue;
    }
    workers.push_back(std::make_unique<Worker>(o, addr, clients, quota, measure_from, deadline));
  }
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers.size(); ++t) threads.emplace_back([&w = *workers[t]] { w.run(); });
  workers[0]->run();
  for (auto& th : threads) th.join();
  CpuSample cpu_to = CpuSample::take(o.server_pid);
  sampler.join();
  uint64_t t1 = cpu_to.t;
  double window = cpu_to.t > cpu_from.t ? double(cpu_to.t - cpu_from.t) / 1e9 : 0;
  double client_cpu = window > 0 ? 100.0 * (cpu_to.self - cpu_from.self) / window : 0;

  Histogram hist;
  Errors err;
  uint64_t completed = 0, reply_bytes = 0;
  for (auto& w : workers) {
    hist.merge(w->histogram());
    err.connect += w->errors().connect;
    err.io += w->errors().io;
    err.reply += w->errors().reply;
    completed += w->completed();
    reply_bytes = std::max(reply_bytes, w->reply_bytes());
  }
  double elapsed = double(t1 - std::min(t1, measure_from)) / 1e9;

  auto pct = [&](double from, double to) {
    char buf[32] = "null";
    if (window > 0 && from >= 0 && to >= 0) std::snprintf(buf, sizeof buf, "%.0f", 100.0 * (to - from) / window);
    return std::string(buf);
  };
  std::string server_cpu_json = pct(cpu_from.server, cpu_to.server);
  std::string machine_cpu_json = pct(cpu_from.busy, cpu_to.busy);
  std::string steal_json = pct(cpu_from.steal, cpu_to.steal);

  bool jobs_deleted = o.jobs == 0 || delete_jobs(addr, o.jobs);

  auto us = [](double ns) { return ns / 1000.0; };
  std::printf(
      "{\"label\":\"%s\",\"mode\":\"%s\",\"clients\":%d,\"threads\":%d,\"jobs\":%d,"
      "\"seconds\":%.3f,\"warmup\":%.3f,\"requests\":%" PRIu64 ",\"errors\":%" PRIu64
      ",\"errors_connect\":%" PRIu64 ",\"errors_io\":%" PRIu64 ",\"errors_reply\":%" PRIu64
      ",\"rps\":%.0f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
      "\"max_us\":%.1f,\"mean_us\":%.1f,\"reply_bytes\":%" PRIu64 ",\"client_cpu_pct\":%.0f,"
      "\"server_cpu_pct\":%s,\"machine_cpu_pct\":%s,\"steal_pct\":%s,"
      "\"source_addrs\":%zu,\"jobs_deleted\":%s}\n",
      json_escape(o.label).c_str(), o.mode == Mode::kConnect ? "connect" : "keepalive", o.clients,
      int(workers.size()), o.jobs, elapsed, o.warmup, completed, err.total(), err.connect, err.io, err.reply,
      elapsed > 0 ? double(completed) / elapsed : 0.0, us(hist.quantile(0.50)), us(hist.quantile(0.90)),
      us(hist.quantile(0.99)), us(hist.quantile(0.999)), us(double(hist.max())), us(hist.mean()),
      reply_bytes ? reply_bytes + 4 : uint64_t(probe.size() + 4), client_cpu, server_cpu_json.c_str(),
      machine_cpu_json.c_str(), steal_json.c_str(),
      addr.sources.size(), jobs_deleted ? "true" : "false");
  std::fflush(stdout);
  return jobs_deleted ? 0 : 1;
}
