/* echo_floor: the least any server of the framing can do per request,
 * served beside scenario 1 of tests/bench/compare and measured by the same
 * load generator.
 *   echo_floor PORT REPLY_FILE
 * Listens on 127.0.0.1:PORT, one thread, epoll, non-blocking sockets, as
 * backend-server's listener does; reads each request frame (u32 length,
 * little-endian, then the payload) and answers it with the frame of the
 * bytes of REPLY_FILE: the real server's reply to the same request, so that
 * the same bytes cross the loopback. No parsing, no lookup, no shared
 * memory: what a server takes above this is its own. Prints "ready" once
 * listening; runs until killed. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kMaxClients = 1024, kBuf = 1 << 16 };

struct client {
  int fd;
  size_t have;                /* bytes of the current request read so far */
  unsigned char in[kBuf];
};

static char *reply;           /* the reply frame: length, then body */
static size_t reply_len;

static void load_reply(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  char *body = malloc(kBuf);
  size_t n = fread(body, 1, kBuf, f);
  fclose(f);
  reply_len = 4 + n;
  reply = malloc(reply_len);
  uint32_t le = (uint32_t)n; /* x86 and the like: already little-endian */
  memcpy(reply, &le, 4);
  memcpy(reply + 4, body, n);
  free(body);
}

/* Answers every whole frame read so far; keeps a partial one. */
static int serve(struct client *c) {
  for (;;) {
    ssize_t r = read(c->fd, c->in + c->have, sizeof c->in - c->have);
    if (r == 0) return -1;
    if (r < 0) return 0; /* EAGAIN: wait for more */
    c->have += (size_t)r;
    size_t at = 0;
    while (c->have - at >= 4) {
      uint32_t len;
      memcpy(&len, c->in + at, 4);
      if (len > kBuf - 4) return -1;
      if (c->have - at < 4 + len) break;
      at += 4 + len;
      /* Replies are small and the client waits for each: the socket's
       * buffer always takes a whole one. */
      if (write(c->fd, reply, reply_len) != (ssize_t)reply_len) return -1;
    }
    memmove(c->in, c->in + at, c->have - at);
    c->have -= at;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: echo_floor PORT REPLY_FILE\n");
    return 2;
  }
  load_reply(argv[2]);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 512) != 0) {
    perror("echo_floor: bind");
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("ready\n");
  fflush(stdout);
  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; ++i) {
      struct client *c = evs[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c = calloc(1, sizeof *c);
          c->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      if (serve(c) < 0) {
        close(c->fd);
        free(c);
      }
    }
  }
}
