// ftrelay: what a bare TCP relay costs the machine, with no protocol work at all: the floor
// under any proxy (ftgate, HAProxy) that forwards bytes between two loopback sockets.
//
//   producer thread ──TCP──► relay thread ──TCP──► consumer thread
//
// The relay moves --mb megabytes and prints its own CPU time (user + system, getrusage of its
// thread) per 16 KB moved, for each way of moving them:
//   copy N     read() of at most N bytes into a buffer, then write() of what was read
//   splice N   splice() of at most N bytes socket → pipe, then pipe → socket (no user copy)
// With the producer far ahead, every read finds data waiting, as in a gateway under load.
//
//   ftrelay [--mb 1000] [--sizes 16384,65536,262144]
//
// scripts/bench relay runs it; docs/benchmarks.md has the results (which is why TcpConnection
// reads up to 256 KB on a busy connection, and why ftgate does not splice).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void setNoDelay(int fd) {
  const int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("TCP_NODELAY");
}

// A listening socket on 127.0.0.1 and an ephemeral port.
int listenLoopback(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind");
  if (listen(fd, 1) != 0) die("listen");
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) die("getsockname");
  *port = ntohs(address.sin_port);
  return fd;
}

int dialLoopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");
  setNoDelay(fd);
  return fd;
}

double threadCpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  auto micros = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

// Moves everything from `in` to `out` until `in` ends; returns the bytes moved.
size_t relayByCopy(int in, int out, size_t readSize) {
  std::vector<char> buffer(readSize);
  size_t moved = 0;
  for (;;) {
    const ssize_t got = read(in, buffer.data(), buffer.size());
    if (got < 0) die("read");
    if (got == 0) return moved;
    for (ssize_t sent = 0; sent < got;) {
      const ssize_t n = write(out, buffer.data() + sent, static_cast<size_t>(got - sent));
      if (n <= 0) die("write");
      sent += n;
    }
    moved += static_cast<size_t>(got);
  }
}

size_t relayBySplice(int in, int out, size_t readSize) {
  int pipeFds[2];
  if (pipe(pipeFds) != 0) die("pipe");
  // A pipe holds 64 KB by default; larger moves need a larger one.
  if (fcntl(pipeFds[1], F_SETPIPE_SZ, static_cast<int>(readSize)) < 0) die("F_SETPIPE_SZ");
  size_t moved = 0;
  for (;;) {
    const ssize_t got = splice(in, nullptr, pipeFds[1], nullptr, readSize, SPLICE_F_MOVE);
    if (got < 0) die("splice in");
    if (got == 0) break;
    for (ssize_t sent = 0; sent < got;) {
      const ssize_t n =
          splice(pipeFds[0], nullptr, out, nullptr, static_cast<size_t>(got - sent), SPLICE_F_MOVE);
      if (n <= 0) die("splice out");
      sent += n;
    }
    moved += static_cast<size_t>(got);
  }
  close(pipeFds[0]);
  close(pipeFds[1]);
  return moved;
}

// One run: producer → relay → consumer over loopback; the relay's CPU µs per 16 KB moved.
double measure(bool useSplice, size_t readSize, size_t totalBytes) {
  uint16_t inPort = 0;
  uint16_t outPort = 0;
  const int inListener = listenLoopback(&inPort);
  const int outListener = listenLoopback(&outPort);
  std::thread producer([&] {
    const int fd = dialLoopback(inPort);
    const std::vector<char> block(64 * 1024, 'x');
    for (size_t sent = 0; sent < totalBytes;) {
      const ssize_t n = write(fd, block.data(), block.size());
      if (n <= 0) die("producer write");
      sent += static_cast<size_t>(n);
    }
    close(fd);
  });
  std::thread consumer([&] {
    const int fd = dialLoopback(outPort);
    std::vector<char> sink(256 * 1024);
    while (read(fd, sink.data(), sink.size()) > 0) {
    }
    close(fd);
  });
  const int in = accept(inListener, nullptr, nullptr);
  const int out = accept(outListener, nullptr, nullptr);
  if (in < 0 || out < 0) die("accept");
  setNoDelay(in);
  setNoDelay(out);

  const double before = threadCpuMicros();
  const size_t moved =
      useSplice ? relayBySplice(in, out, readSize) : relayByCopy(in, out, readSize);
  const double cpu = threadCpuMicros() - before;
  close(out);
  close(in);
  producer.join();
  consumer.join();
  close(inListener);
  close(outListener);
  return cpu / (static_cast<double>(moved) / (16 * 1024));
}

std::vector<size_t> parseSizes(const std::string& list) {
  std::vector<size_t> sizes;
  size_t start = 0;
  while (start < list.size()) {
    const size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
    const long value = std::strtol(item.c_str(), nullptr, 10);
    if (value < 4096) {
      std::fprintf(stderr, "ftrelay: a size is a number of bytes, at least 4096: '%s'\n",
                   item.c_str());
      std::exit(2);
    }
    sizes.push_back(static_cast<size_t>(value));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  size_t megabytes = 1000;
  std::vector<size_t> sizes = {16 * 1024, 64 * 1024, 256 * 1024};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mb" && i + 1 < argc) {
      megabytes = static_cast<size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--sizes" && i + 1 < argc) {
      sizes = parseSizes(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: ftrelay [--mb MEGABYTES] [--sizes BYTES,BYTES,...]\n");
      return 2;
    }
  }
  const size_t total = megabytes * 1024 * 1024;
  std::printf("| read size | copy: relay CPU per 16 KB | splice: relay CPU per 16 KB |\n");
  std::printf("| ---: | ---: | ---: |\n");
  for (const size_t size : sizes) {
    const double copy = measure(false, size, total);
    const double spliced = measure(true, size, total);
    std::printf("| %zu KB | %.2f µs | %.2f µs |\n", size / 1024, copy, spliced);
    std::fflush(stdout);
  }
  return 0;
}
