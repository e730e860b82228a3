// ftgate_chaos_client: steady core NATS load through the gateway for scripts/chaos, from real
// libnats connections with reconnect DISABLED, so a failover the gateway does not hide shows
// up as a disconnect.
//
//   ftgate_chaos_client --url nats://127.0.0.1:4222 [--interval-ms 2]
//   SIGUSR1: "the active was just killed" — the time of the kill is noted; the pause for that
//            switch is from then to the end of the first round trip (flush) begun after it
//   SIGTERM / SIGINT: stop, print one JSON line of results, exit 0 (1 when a connection was
//            lost)
//
// Output: {"disconnects":N,"sent":N,"received":N,"lost":N,"switches":N,
//          "pauses_ms":[...],"pause_p50_ms":N,"pause_p99_ms":N,"pause_max_ms":N}
#include <nats/nats.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> stopRequested{false};
std::atomic<int> killMarks{0};
std::atomic<int> disconnects{0};
std::atomic<uint64_t> received{0};

void onSignal(int signum) {
  if (signum == SIGUSR1) {
    ++killMarks;
  } else {
    stopRequested = true;
  }
}

void onDisconnected(natsConnection*, void*) { ++disconnects; }

void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void*) {
  ++received;
  natsMsg_Destroy(msg);
}

natsConnection* connectTo(const std::string& url) {
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return nullptr;
  (void)natsOptions_SetURL(opts, url.c_str());
  (void)natsOptions_SetAllowReconnect(opts, false);
  (void)natsOptions_SetDisconnectedCB(opts, onDisconnected, nullptr);
  (void)natsOptions_SetTimeout(opts, 5000);
  natsConnection* nc = nullptr;
  const natsStatus status = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (status != NATS_OK) {
    std::fprintf(stderr, "connect %s: %s\n", url.c_str(), natsStatus_GetText(status));
    return nullptr;
  }
  return nc;
}

uint64_t quantile(std::vector<uint64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "nats://127.0.0.1:4222";
  int intervalMs = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--url") == 0) url = argv[i + 1];
    if (std::strcmp(argv[i], "--interval-ms") == 0) intervalMs = std::atoi(argv[i + 1]);
  }
  signal(SIGUSR1, onSignal);
  signal(SIGTERM, onSignal);
  signal(SIGINT, onSignal);

  natsConnection* subscriber = connectTo(url);
  natsConnection* publisher = connectTo(url);
  if (subscriber == nullptr || publisher == nullptr) return 2;
  natsSubscription* sub = nullptr;
  if (natsConnection_Subscribe(&sub, subscriber, "chaos.core", onMessage, nullptr) != NATS_OK ||
      natsConnection_Flush(subscriber) != NATS_OK) {
    return 2;
  }
  std::printf("ready\n");
  std::fflush(stdout);

  uint64_t sent = 0;
  std::vector<uint64_t> pauses;
  int marksSeen = 0;
  Clock::time_point markTime;
  bool pauseOpen = false;
  auto nextFlush = Clock::now();
  while (!stopRequested) {
    if (killMarks.load() != marksSeen) {
      marksSeen = killMarks.load();
      markTime = Clock::now();
      pauseOpen = true;
    }
    char payload[32];
    const int n =
        std::snprintf(payload, sizeof payload, "%llu", static_cast<unsigned long long>(sent));
    if (natsConnection_Publish(publisher, "chaos.core", payload, n) == NATS_OK) ++sent;
    if (pauseOpen || Clock::now() >= nextFlush) {
      const auto began = Clock::now();
      const natsStatus status = natsConnection_FlushTimeout(publisher, 15000);
      if (status == NATS_OK && pauseOpen && began >= markTime) {
        pauses.push_back(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - markTime)
                .count()));
        pauseOpen = false;
      }
      nextFlush = Clock::now() + std::chrono::milliseconds(50);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs));
  }
  // Let what was published arrive.
  (void)natsConnection_FlushTimeout(publisher, 5000);
  (void)natsConnection_FlushTimeout(subscriber, 5000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const uint64_t got = received.load();
  const bool connected = natsConnection_Status(publisher) == NATS_CONN_STATUS_CONNECTED &&
                         natsConnection_Status(subscriber) == NATS_CONN_STATUS_CONNECTED;
  std::string list;
  for (uint64_t p : pauses) list += (list.empty() ? "" : ",") + std::to_string(p);
  std::printf(
      "{\"disconnects\":%d,\"connected\":%s,\"sent\":%llu,\"received\":%llu,\"lost\":%lld,"
      "\"switches\":%d,\"pauses_ms\":[%s],\"pause_p50_ms\":%llu,\"pause_p99_ms\":%llu,"
      "\"pause_max_ms\":%llu}\n",
      disconnects.load(), connected ? "true" : "false", static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(got),
      static_cast<long long>(sent) - static_cast<long long>(got), marksSeen, list.c_str(),
      static_cast<unsigned long long>(quantile(pauses, 0.5)),
      static_cast<unsigned long long>(quantile(pauses, 0.99)),
      static_cast<unsigned long long>(
          pauses.empty() ? 0 : *std::max_element(pauses.begin(), pauses.end())));
  std::fflush(stdout);
  // Closing our own connections fires the disconnect callback: decide before.
  const int rc = disconnects.load() == 0 && connected ? 0 : 1;
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(subscriber);
  natsConnection_Destroy(publisher);
  return rc;
}
