#include "plugins/cluster/etcd_transport.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <set>

#include "plugins/cluster/libcurl.h"

namespace backend::plugins::cluster {
namespace {

// An answer larger than this is refused: a range over a whole cluster of
// tens of thousands of jobs stays far below it.
constexpr size_t kMaxBody = 64u << 20;

std::set<int> open_fds() {
  std::set<int> fds;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir))
      if (entry->d_name[0] != '.' && atoi(entry->d_name) != dirfd(dir)) fds.insert(atoi(entry->d_name));
    closedir(dir);
  }
  return fds;
}

// libcurl 7.88 (Debian 12) makes curl_multi_init's wake-up socket pair
// without SOCK_CLOEXEC (later versions set it). The loop thread is the only
// one that forks, and it is here: marking them before it goes back to the
// loop is as good as from birth.
CURLM* multi_init_cloexec(const Libcurl& curl) {
  std::set<int> before = open_fds();
  CURLM* multi = curl.multi_init();
  for (int fd : open_fds())
    if (!before.count(fd)) fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
  return multi;
}

}  // namespace

struct EtcdTransport::Impl {
  struct Request {
    Impl* impl = nullptr;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string path;
    std::string body;
    std::string response;
    Done done;
    size_t endpoint = 0;  // index being tried
    size_t tried = 0;     // endpoints tried before this one
    std::string errors;
    char error_buffer[CURL_ERROR_SIZE] = {};
  };
  // A socket libcurl asked the loop to watch.
  struct Socket {
    uv_poll_t poll;
    curl_socket_t fd;
    Impl* impl;
  };

  const Libcurl& curl = libcurl();  // first: it throws if libcurl cannot be loaded
  uv_loop_t* loop;
  std::vector<std::string> endpoints;
  std::chrono::milliseconds timeout;
  size_t current = 0;  // the endpoint that answered last
  CURLM* multi = nullptr;
  uv_timer_t timer;
  std::set<Request*> requests;
  bool closing = false;
  int handles_open = 0;  // the timer and the polls, until their close callbacks ran
  std::function<void()> closed;

  Impl(uv_loop_t* l, std::vector<std::string> e, std::chrono::milliseconds t)
      : loop(l), endpoints(std::move(e)), timeout(t) {
    multi = multi_init_cloexec(curl);
    curl.multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl.multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl.multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer_change);
    curl.multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    uv_timer_init(loop, &timer);
    timer.data = this;
    ++handles_open;
  }

  // Sockets close-on-exec from birth: a job spawned while a request is in
  // flight must not hold a connection to etcd.
  static curl_socket_t open_socket(void*, curlsocktype, curl_sockaddr* address) {
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  }

  static size_t on_data(char* data, size_t size, size_t count, void* user) {
    auto* request = static_cast<Request*>(user);
    size_t bytes = size * count;
    if (request->response.size() + bytes > kMaxBody) return 0;  // curl ends it with CURLE_WRITE_ERROR
    request->response.append(data, bytes);
    return bytes;
  }

  void send(Request* request) {
    CURL* easy = request->easy;
    curl.easy_reset(easy);
    request->response.clear();
    request->error_buffer[0] = '\0';
    std::string url = endpoints[request->endpoint] + request->path;
    curl.easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(easy, CURLOPT_POST, 1L);
    curl.easy_setopt(easy, CURLOPT_POSTFIELDS, request->body.data());
    curl.easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request->body.size()));
    curl.easy_setopt(easy, CURLOPT_HTTPHEADER, request->headers);
    curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::on_data);
    curl.easy_setopt(easy, CURLOPT_WRITEDATA, request);
    curl.easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Impl::open_socket);
    curl.easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
    curl.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM: signals only wake the loop
    curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, request->error_buffer);
    curl.easy_setopt(easy, CURLOPT_PRIVATE, request);
    curl.multi_add_handle(multi, easy);
  }

  void finish(Request* request, EtcdReply reply) {
    requests.erase(request);
    Done done = std::move(request->done);
    curl.slist_free_all(request->headers);
    curl.easy_cleanup(request->easy);
    delete request;
    done(std::move(reply));
  }

  // Requests libcurl finished: answered, or on to the next endpoint.
  void collect() {
    int left = 0;
    while (CURLMsg* message = curl.multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      CURLcode result = message->data.result;
      Request* request = nullptr;
      curl.easy_getinfo(easy, CURLINFO_PRIVATE, &request);
      long status = 0;
      curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      curl.multi_remove_handle(multi, easy);
      const std::string& endpoint = endpoints[request->endpoint];
      if (result == CURLE_OK && status < 500) {
        current = request->endpoint;
        EtcdReply reply;
        reply.answered = true;
        reply.status = status;
        reply.body = std::move(request->response);
        reply.endpoint = endpoint;
        finish(request, std::move(reply));
        if (closing) return;  // done closed the transport
        continue;
      }
      std::string why = result != CURLE_OK
                            ? (request->error_buffer[0] ? request->error_buffer : curl.easy_strerror(result))
                            : "HTTP " + std::to_string(status) + " " + request->response.substr(0, 200);
      if (!request->errors.empty()) request->errors += "; ";
      request->errors += endpoint + ": " + why;
      if (++request->tried < endpoints.size()) {
        request->endpoint = (request->endpoint + 1) % endpoints.size();
        current = request->endpoint;
        send(request);
        continue;
      }
      EtcdReply reply;
      reply.error = request->errors;
      reply.endpoint = endpoint;
      finish(request, std::move(reply));
      if (closing) return;
    }
  }

  static void on_poll(uv_poll_t* handle, int status, int events) {
    auto* socket = static_cast<Socket*>(handle->data);
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    int running = 0;
    Impl* impl = socket->impl;
    impl->curl.multi_socket_action(impl->multi, socket->fd, flags, &running);
    impl->collect();
  }

  static void on_timer(uv_timer_t* handle) {
    auto* impl = static_cast<Impl*>(handle->data);
    int running = 0;
    impl->curl.multi_socket_action(impl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    impl->collect();
  }

  static int on_timer_change(CURLM*, long timeout_ms, void* user) {
    auto* impl = static_cast<Impl*>(user);
    if (impl->closing) return 0;
    if (timeout_ms < 0)
      uv_timer_stop(&impl->timer);
    else  // 0 too: libcurl may not be called back from inside its own callback
      uv_timer_start(&impl->timer, &Impl::on_timer, static_cast<uint64_t>(timeout_ms), 0);
    return 0;
  }

  static void on_handle_closed(uv_handle_t* handle) {
    Impl* impl;
    if (handle->type == UV_POLL) {
      auto* socket = static_cast<Socket*>(handle->data);
      impl = socket->impl;
      delete socket;
    } else {
      impl = static_cast<Impl*>(handle->data);
    }
    if (--impl->handles_open == 0 && impl->closed) {
      auto closed = std::move(impl->closed);
      closed();
    }
  }

  static int on_socket(CURL*, curl_socket_t fd, int action, void* user, void* socket_data) {
    auto* impl = static_cast<Impl*>(user);
    auto* socket = static_cast<Socket*>(socket_data);
    if (action == CURL_POLL_REMOVE) {
      if (socket) {
        uv_poll_stop(&socket->poll);
        uv_close(reinterpret_cast<uv_handle_t*>(&socket->poll), &Impl::on_handle_closed);
        impl->curl.multi_assign(impl->multi, fd, nullptr);
      }
      return 0;
    }
    if (!socket) {
      socket = new Socket{};
      socket->fd = fd;
      socket->impl = impl;
      if (uv_poll_init_socket(impl->loop, &socket->poll, fd) != 0) {
        delete socket;
        return -1;  // libcurl fails the transfer
      }
      socket->poll.data = socket;
      ++impl->handles_open;
      impl->curl.multi_assign(impl->multi, fd, socket);
    }
    int events = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT) events |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT) events |= UV_WRITABLE;
    uv_poll_start(&socket->poll, events, &Impl::on_poll);
    return 0;
  }

  // Every transfer dropped, libcurl's connections closed (their sockets'
  // polls closed through on_socket).
  void drop_all() {
    for (Request* request : requests) {
      curl.multi_remove_handle(multi, request->easy);
      curl.slist_free_all(request->headers);
      curl.easy_cleanup(request->easy);
      delete request;
    }
    requests.clear();
    if (multi) curl.multi_cleanup(multi);
    multi = nullptr;
  }
};

EtcdTransport::EtcdTransport(uv_loop_t* loop, std::vector<std::string> endpoints, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(loop, std::move(endpoints), timeout)) {}

EtcdTransport::~EtcdTransport() {
  // Without close() the loop is gone (a forked child, a test that ended):
  // only libcurl's own memory is left to free.
  if (impl_ && !impl_->closing) impl_->drop_all();
}

void EtcdTransport::post(const std::string& path, std::string body, Done done) {
  Impl& impl = *impl_;
  if (impl.closing || impl.endpoints.empty()) return;
  auto* request = new Impl::Request{};
  request->impl = &impl;
  request->easy = impl.curl.easy_init();
  request->path = path;
  request->body = std::move(body);
  request->done = std::move(done);
  request->endpoint = impl.current;
  request->headers = impl.curl.slist_append(nullptr, "Content-Type: application/json");
  request->headers = impl.curl.slist_append(request->headers, "Expect:");  // no 100-continue round trip
  impl.requests.insert(request);
  impl.send(request);
}

size_t EtcdTransport::in_flight() const { return impl_->requests.size(); }

void EtcdTransport::close(std::function<void()> closed) {
  Impl& impl = *impl_;
  if (impl.closing) return;
  impl.closed = std::move(closed);
  impl.drop_all();
  impl.closing = true;
  uv_timer_stop(&impl.timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&impl.timer), &Impl::on_handle_closed);
}

}  // namespace backend::plugins::cluster
