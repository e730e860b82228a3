// ftfailover: the client side of `scripts/bench failover`. A steady publish load through one
// URL (ftgate) with a reconnecting client, reporting every outage as two lines on stdout:
//
//   down <unix seconds>   the first failed round trip (or lost connection)
//   up <unix seconds>     the first successful round trip after it, or after a stall: a round
//                         that took longer than --stall ms (default 100). With ftgate's
//                         session replay a failover is a pause, not a disconnect, so the
//                         stalled round that completes on the new active is the "up".
//
// One round = publish --batch messages of --size bytes, then PING/PONG (a flush with a
// timeout), so every "up" is a round trip through the gateway to the active broker. The
// script kills brokers and measures kill -> "up" with the same wall clock. Runs until killed.
//
//   ftfailover --url nats://127.0.0.1:4222 [--size 128] [--batch 50]
#include <nats/nats.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

natsConnection* tryConnect(const std::string& url) {
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetAllowReconnect(opts, false);  // reconnect here, so every attempt is visible
  natsOptions_SetTimeout(opts, 250);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  return s == NATS_OK ? nc : nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "nats://127.0.0.1:4222";
  int size = 128;
  int batch = 50;
  double stall_seconds = 0.100;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    if (key == "--url") {
      url = argv[i + 1];
    } else if (key == "--size") {
      size = std::atoi(argv[i + 1]);
    } else if (key == "--batch") {
      batch = std::atoi(argv[i + 1]);
    } else if (key == "--stall") {
      stall_seconds = std::atof(argv[i + 1]) / 1000.0;
    } else {
      std::fprintf(stderr,
                   "usage: ftfailover [--url URL] [--size BYTES] [--batch N] [--stall MS]\n");
      return 2;
    }
  }
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<char> payload(static_cast<size_t>(size), 'x');
  natsConnection* nc = nullptr;
  bool down = false;
  unsigned long rounds = 0;
  while (true) {
    const double round_start = wallSeconds();
    if (nc == nullptr) nc = tryConnect(url);
    bool ok = nc != nullptr;
    for (int i = 0; ok && i < batch; ++i) {
      ok = natsConnection_Publish(nc, "bench.failover", payload.data(), size) == NATS_OK;
    }
    if (ok) ok = natsConnection_FlushTimeout(nc, 500) == NATS_OK;
    if (ok) {
      const double now = wallSeconds();
      if (down || rounds == 0 || now - round_start > stall_seconds) std::printf("up %.6f\n", now);
      down = false;
      ++rounds;
      continue;
    }
    if (!down) std::printf("down %.6f\n", wallSeconds());
    down = true;
    if (nc != nullptr) {
      natsConnection_Destroy(nc);
      nc = nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}
