// ftgate_chaos_client: steady core NATS and NATS Streaming load through the gateway for
// scripts/chaos, from real libnats connections with reconnect DISABLED, so a failover the
// gateway does not hide shows up as a disconnect (core) or a lost connection (streaming).
//
//   ftgate_chaos_client --url nats://127.0.0.1:4222 [--interval-ms 2] [--cluster test-cluster]
//   SIGUSR1: "the active was just killed" — the time of the kill is noted; a publisher's pause
//            for that switch is from then to the end of its first round trip begun after it
//            (core: a flush; streaming: the PubAck of a publish sent after the kill)
//   SIGTERM / SIGINT: stop; wait for the PubAcks still due; read the whole streaming channel
//            from sequence 1 with a fresh connection and check every acknowledged publish is
//            there; print one JSON line of results; exit 0, or 1 when a connection was lost
//            or an acknowledged streaming message is missing
//
// Load: one core publisher and one core subscriber (subject chaos.core); one streaming
// publisher (async publish with an ack handler, channel chaos.stan) and one streaming
// subscriber on that channel. Five connections, all through the gateway only.
//
// Output (one line): {"disconnects":N,"core_disconnects":N,"stan_lost":N,
//   "sent":N,"received":N,"lost":N,"lost_before_kill":N,"lost_at_kill":N,"lost_after_kill":N,
//   "lost_elsewhere":N,
//   "switches":N,"pauses_ms":[...],"pause_p50_ms":N,"pause_p99_ms":N,"pause_max_ms":N,
//   "stan_published":N,"stan_acked":N,"stan_ack_errors":N,"stan_unanswered":N,
//   "stan_acked_missing":N,"stan_channel_msgs":N,"stan_received_live":N,"stan_pauses_ms":[...],
//   "stan_pause_p50_ms":N,"stan_pause_p99_ms":N,"stan_pause_max_ms":N,"stan_ack_max_ms":N}
// Core losses by when the message was published, from the nearest kill: lost_before_kill before
// and lost_at_kill in the 10 ms after it (both: written towards the broker that died, lost by
// nature — core frames are never re-sent); lost_after_kill 10 ms to 5 s after it (held by the
// gateway during the switch: what the migration barrier is for); elsewhere: neither.
#define NATS_HAS_STREAMING 1
#include <nats/nats.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kCoreSubject = "chaos.core";
constexpr const char* kStanChannel = "chaos.stan";
// `kill -9` returns before the process is gone and the gateway sees its connections close a
// few ms later: a core message published this soon after the kill mark most likely went to
// the dying broker's socket rather than into the gateway's hold buffer.
constexpr int64_t kAtKillNs = 10'000'000;

std::atomic<bool> stopRequested{false};
std::atomic<int> killMarks{0};
std::atomic<int64_t> lastMarkNs{0};  // steady clock, written by the signal handler
std::atomic<int> coreDisconnects{0};
std::atomic<int> stanLost{0};

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}
uint64_t msBetween(int64_t fromNs, int64_t toNs) {
  return toNs > fromNs ? static_cast<uint64_t>((toNs - fromNs) / 1'000'000) : 0;
}

void onSignal(int signum) {
  if (signum == SIGUSR1) {
    lastMarkNs = nowNs();  // clock_gettime: async-signal-safe
    ++killMarks;
  } else {
    stopRequested = true;
  }
}

// Core: which sequence numbers arrived.
struct CoreReceived {
  std::mutex mutex;
  std::vector<uint8_t> seen;
  uint64_t count = 0;
};
CoreReceived coreReceived;

void onDisconnected(natsConnection*, void*) { ++coreDisconnects; }

void onCoreMessage(natsConnection*, natsSubscription*, natsMsg* msg, void*) {
  const uint64_t seq = std::strtoull(natsMsg_GetData(msg), nullptr, 10);
  {
    std::lock_guard<std::mutex> lock(coreReceived.mutex);
    if (seq >= coreReceived.seen.size()) coreReceived.seen.resize(seq + 1024, 0);
    coreReceived.seen[seq] = 1;
    ++coreReceived.count;
  }
  natsMsg_Destroy(msg);
}

natsOptions* optionsFor(const std::string& url) {
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return nullptr;
  (void)natsOptions_SetURL(opts, url.c_str());
  (void)natsOptions_SetAllowReconnect(opts, false);
  (void)natsOptions_SetTimeout(opts, 5000);
  return opts;
}

natsConnection* connectCore(const std::string& url) {
  natsOptions* opts = optionsFor(url);
  if (opts == nullptr) return nullptr;
  (void)natsOptions_SetDisconnectedCB(opts, onDisconnected, nullptr);
  natsConnection* nc = nullptr;
  const natsStatus status = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (status != NATS_OK) {
    std::fprintf(stderr, "connect %s: %s\n", url.c_str(), natsStatus_GetText(status));
    return nullptr;
  }
  return nc;
}

void onStanLost(stanConnection*, const char* why, void* closure) {
  if (closure != nullptr) {  // the verifying connection passes none: it is not under test
    ++stanLost;
    std::fprintf(stderr, "streaming connection %s lost: %s\n", static_cast<const char*>(closure),
                 why != nullptr ? why : "");
  }
}

stanConnection* connectStan(const std::string& url, const std::string& cluster,
                            const char* clientId, bool underTest) {
  natsOptions* nopts = optionsFor(url);
  stanConnOptions* sopts = nullptr;
  stanConnection* sc = nullptr;
  if (nopts != nullptr && stanConnOptions_Create(&sopts) == NATS_OK &&
      stanConnOptions_SetNATSOptions(sopts, nopts) == NATS_OK &&
      stanConnOptions_SetConnectionLostHandler(
          sopts, onStanLost, underTest ? const_cast<char*>(clientId) : nullptr) == NATS_OK) {
    const natsStatus status = stanConnection_Connect(&sc, cluster.c_str(), clientId, sopts);
    if (status != NATS_OK) {
      std::fprintf(stderr, "streaming connect %s as %s: %s (%s)\n", url.c_str(), clientId,
                   natsStatus_GetText(status), nats_GetLastError(nullptr));
      sc = nullptr;
    }
  }
  stanConnOptions_Destroy(sopts);
  natsOptions_Destroy(nopts);
  return sc;
}

uint64_t quantile(std::vector<uint64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5))];
}
uint64_t maxOf(const std::vector<uint64_t>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}
std::string jsonList(const std::vector<uint64_t>& v) {
  std::string list;
  for (uint64_t x : v) list += (list.empty() ? "" : ",") + std::to_string(x);
  return "[" + list + "]";
}

// Streaming publisher state: payload "s<id>"; the ack handler's closure is the id.
struct StanPublishes {
  std::mutex mutex;
  std::vector<int64_t> sentNs;  // by id
  std::vector<uint8_t> acked;   // by id
  uint64_t ackedCount = 0;
  uint64_t errors = 0;
  uint64_t answered = 0;
  uint64_t ackMaxMs = 0;
  // Pause measurement: the open switch's kill time, or 0.
  int64_t openMarkNs = 0;
  std::vector<uint64_t> pauses;
};
StanPublishes stanPublishes;

void onPubAck(const char*, const char* error, void* closure) {
  const auto id = static_cast<size_t>(reinterpret_cast<uintptr_t>(closure));
  const int64_t now = nowNs();
  std::lock_guard<std::mutex> lock(stanPublishes.mutex);
  ++stanPublishes.answered;
  if (error != nullptr) {
    ++stanPublishes.errors;
    std::fprintf(stderr, "streaming publish s%zu: %s\n", id, error);
    return;
  }
  if (id < stanPublishes.acked.size() && stanPublishes.acked[id] == 0) {
    stanPublishes.acked[id] = 1;
    ++stanPublishes.ackedCount;
  }
  const int64_t sent = id < stanPublishes.sentNs.size() ? stanPublishes.sentNs[id] : now;
  stanPublishes.ackMaxMs = std::max(stanPublishes.ackMaxMs, msBetween(sent, now));
  if (stanPublishes.openMarkNs != 0 && sent >= stanPublishes.openMarkNs) {
    stanPublishes.pauses.push_back(msBetween(stanPublishes.openMarkNs, now));
    stanPublishes.openMarkNs = 0;
  }
}

std::atomic<uint64_t> stanReceivedLive{0};
void onStanLiveMessage(stanConnection*, stanSubscription*, const char*, stanMsg* msg, void*) {
  ++stanReceivedLive;
  stanMsg_Destroy(msg);
}

void publishStan(stanConnection* sc, int intervalMs) {
  int marksSeen = 0;
  for (size_t id = 0; !stopRequested; ++id) {
    const int64_t now = nowNs();
    {
      std::lock_guard<std::mutex> lock(stanPublishes.mutex);
      if (killMarks.load() != marksSeen) {
        marksSeen = killMarks.load();
        // The previous switch's pause is still open at the next kill: it lasted at least this.
        if (stanPublishes.openMarkNs != 0) {
          stanPublishes.pauses.push_back(msBetween(stanPublishes.openMarkNs, lastMarkNs.load()));
        }
        stanPublishes.openMarkNs = lastMarkNs.load();
      }
      stanPublishes.sentNs.push_back(now);
      stanPublishes.acked.push_back(0);
    }
    const std::string payload = "s" + std::to_string(id);
    const natsStatus status = stanConnection_PublishAsync(
        sc, kStanChannel, payload.data(), static_cast<int>(payload.size()), onPubAck,
        reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
    if (status != NATS_OK) {
      std::lock_guard<std::mutex> lock(stanPublishes.mutex);
      ++stanPublishes.errors;
      ++stanPublishes.answered;  // no ack will come for it
      std::fprintf(stderr, "streaming publish s%zu refused: %s\n", id, natsStatus_GetText(status));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs));
  }
}

// Reads the channel from sequence 1 on a fresh connection: which acknowledged ids are there.
struct ChannelRead {
  std::mutex mutex;
  std::unordered_set<uint64_t> ids;
  uint64_t msgs = 0;
  int64_t lastNs = 0;
};

void onVerifyMessage(stanConnection*, stanSubscription*, const char*, stanMsg* msg, void* c) {
  auto* read = static_cast<ChannelRead*>(c);
  const std::string data(stanMsg_GetData(msg), static_cast<size_t>(stanMsg_GetDataLength(msg)));
  std::lock_guard<std::mutex> lock(read->mutex);
  if (data.size() > 1 && data[0] == 's')
    read->ids.insert(std::strtoull(data.c_str() + 1, nullptr, 10));
  ++read->msgs;
  read->lastNs = nowNs();
  stanMsg_Destroy(msg);
}

// Returns how many acknowledged ids are missing from the channel (or -1 when it cannot read).
int64_t verifyChannel(const std::string& url, const std::string& cluster, uint64_t* msgs) {
  stanConnection* sc = connectStan(url, cluster, "chaos-verify", /*underTest=*/false);
  if (sc == nullptr) return -1;
  std::vector<size_t> want;
  {
    std::lock_guard<std::mutex> lock(stanPublishes.mutex);
    for (size_t id = 0; id < stanPublishes.acked.size(); ++id)
      if (stanPublishes.acked[id] != 0) want.push_back(id);
  }
  ChannelRead read;
  read.lastNs = nowNs();
  stanSubOptions* opts = nullptr;
  stanSubscription* sub = nullptr;
  (void)stanSubOptions_Create(&opts);
  (void)stanSubOptions_StartAtSequence(opts, 1);
  (void)stanSubOptions_SetMaxInflight(opts, 8192);
  const natsStatus status =
      stanConnection_Subscribe(&sub, sc, kStanChannel, onVerifyMessage, &read, opts);
  stanSubOptions_Destroy(opts);
  if (status != NATS_OK) {
    stanConnection_Destroy(sc);
    return -1;
  }
  // Until every acked id is there, or nothing new came for 3 s (the channel is read out).
  auto missingNow = [&] {
    std::lock_guard<std::mutex> lock(read.mutex);
    int64_t missing = 0;
    for (size_t id : want) missing += read.ids.contains(id) ? 0 : 1;
    return missing;
  };
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  int64_t missing = missingNow();
  while (missing > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    missing = missingNow();
    std::lock_guard<std::mutex> lock(read.mutex);
    if (msBetween(read.lastNs, nowNs()) > 3000) break;
  }
  {
    std::lock_guard<std::mutex> lock(read.mutex);
    *msgs = read.msgs;
  }
  (void)stanSubscription_Unsubscribe(sub);
  stanSubscription_Destroy(sub);
  (void)stanConnection_Close(sc);
  stanConnection_Destroy(sc);
  return missing;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "nats://127.0.0.1:4222";
  std::string cluster = "test-cluster";
  int intervalMs = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--url") == 0) url = argv[i + 1];
    if (std::strcmp(argv[i], "--interval-ms") == 0) intervalMs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--cluster") == 0) cluster = argv[i + 1];
  }
  signal(SIGUSR1, onSignal);
  signal(SIGTERM, onSignal);
  signal(SIGINT, onSignal);

  natsConnection* subscriber = connectCore(url);
  natsConnection* publisher = connectCore(url);
  if (subscriber == nullptr || publisher == nullptr) return 2;
  natsSubscription* sub = nullptr;
  if (natsConnection_Subscribe(&sub, subscriber, kCoreSubject, onCoreMessage, nullptr) != NATS_OK ||
      natsConnection_Flush(subscriber) != NATS_OK) {
    return 2;
  }
  stanConnection* stanSubConn = connectStan(url, cluster, "chaos-stan-sub", true);
  stanConnection* stanPubConn = connectStan(url, cluster, "chaos-stan-pub", true);
  if (stanSubConn == nullptr || stanPubConn == nullptr) return 2;
  stanSubscription* stanSub = nullptr;
  if (stanConnection_Subscribe(&stanSub, stanSubConn, kStanChannel, onStanLiveMessage, nullptr,
                               nullptr) != NATS_OK) {
    return 2;
  }
  std::thread stanThread([&] { publishStan(stanPubConn, intervalMs); });
  std::printf("ready\n");
  std::fflush(stdout);

  uint64_t sent = 0;
  std::vector<int64_t> sentNs;
  std::vector<uint64_t> pauses;
  std::vector<int64_t> markNs;
  int marksSeen = 0;
  int64_t markTime = 0;
  bool pauseOpen = false;
  auto nextFlush = Clock::now();
  while (!stopRequested) {
    if (killMarks.load() != marksSeen) {
      marksSeen = killMarks.load();
      markTime = lastMarkNs.load();
      markNs.push_back(markTime);
      pauseOpen = true;
    }
    char payload[32];
    const int n =
        std::snprintf(payload, sizeof payload, "%llu", static_cast<unsigned long long>(sent));
    const int64_t at = nowNs();
    if (natsConnection_Publish(publisher, kCoreSubject, payload, n) == NATS_OK) {
      sentNs.push_back(at);
      ++sent;
    }
    if (pauseOpen || Clock::now() >= nextFlush) {
      const int64_t began = nowNs();
      const natsStatus status = natsConnection_FlushTimeout(publisher, 15000);
      if (status == NATS_OK && pauseOpen && began >= markTime) {
        pauses.push_back(msBetween(markTime, nowNs()));
        pauseOpen = false;
      }
      nextFlush = Clock::now() + std::chrono::milliseconds(50);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs));
  }
  stanThread.join();
  // Let what was published arrive, and the PubAcks still due come back (the gateway re-sends
  // publishes the dead active never acked, so they come well before the 30 s ack wait).
  (void)natsConnection_FlushTimeout(publisher, 5000);
  (void)natsConnection_FlushTimeout(subscriber, 5000);
  const auto ackDeadline = Clock::now() + std::chrono::seconds(35);
  while (Clock::now() < ackDeadline) {
    {
      std::lock_guard<std::mutex> lock(stanPublishes.mutex);
      if (stanPublishes.answered >= stanPublishes.sentNs.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Core losses, by when they were published relative to the kills.
  uint64_t got = 0, lostBefore = 0, lostAtKill = 0, lostAfter = 0, lostElsewhere = 0;
  {
    std::lock_guard<std::mutex> lock(coreReceived.mutex);
    got = coreReceived.count;
    for (uint64_t seq = 0; seq < sent; ++seq) {
      if (seq < coreReceived.seen.size() && coreReceived.seen[seq] != 0) continue;
      const int64_t t = sentNs[seq];
      // Relative to the nearest kill: switches come well under a second apart.
      int64_t nearest = 0;
      for (int64_t m : markNs)
        if (nearest == 0 || std::llabs(t - m) < std::llabs(t - nearest)) nearest = m;
      const int64_t d = t - nearest;
      if (markNs.empty() || d < -1'000'000'000 || d > 5'000'000'000) {
        ++lostElsewhere;
      } else if (d < 0) {
        ++lostBefore;
      } else if (d <= kAtKillNs) {
        ++lostAtKill;
      } else {
        ++lostAfter;
      }
      std::fprintf(stderr, "core message %llu lost: published %+.1f ms from a kill\n",
                   static_cast<unsigned long long>(seq), static_cast<double>(t - nearest) / 1e6);
    }
  }
  const uint64_t lost = lostBefore + lostAtKill + lostAfter + lostElsewhere;

  uint64_t channelMsgs = 0;
  const int64_t ackedMissing = verifyChannel(url, cluster, &channelMsgs);
  // Held while printing only: the connections are destroyed after it is released (a late ack
  // handler takes it).
  std::unique_lock<std::mutex> lock(stanPublishes.mutex);
  const uint64_t stanPublished = stanPublishes.sentNs.size();
  const bool coreConnected = natsConnection_Status(publisher) == NATS_CONN_STATUS_CONNECTED &&
                             natsConnection_Status(subscriber) == NATS_CONN_STATUS_CONNECTED;
  const int disconnects = coreDisconnects.load() + stanLost.load();
  std::printf(
      "{\"disconnects\":%d,\"core_disconnects\":%d,\"stan_lost\":%d,\"connected\":%s,"
      "\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"lost_before_kill\":%llu,"
      "\"lost_at_kill\":%llu,\"lost_after_kill\":%llu,\"lost_elsewhere\":%llu,\"switches\":%d,"
      "\"pauses_ms\":%s,"
      "\"pause_p50_ms\":%llu,\"pause_p99_ms\":%llu,\"pause_max_ms\":%llu,"
      "\"stan_published\":%llu,\"stan_acked\":%llu,\"stan_ack_errors\":%llu,"
      "\"stan_unanswered\":%llu,\"stan_acked_missing\":%lld,\"stan_channel_msgs\":%llu,"
      "\"stan_received_live\":%llu,\"stan_pauses_ms\":%s,\"stan_pause_p50_ms\":%llu,"
      "\"stan_pause_p99_ms\":%llu,\"stan_pause_max_ms\":%llu,\"stan_ack_max_ms\":%llu}\n",
      disconnects, coreDisconnects.load(), stanLost.load(), coreConnected ? "true" : "false",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(got),
      static_cast<unsigned long long>(lost), static_cast<unsigned long long>(lostBefore),
      static_cast<unsigned long long>(lostAtKill), static_cast<unsigned long long>(lostAfter),
      static_cast<unsigned long long>(lostElsewhere), marksSeen, jsonList(pauses).c_str(),
      static_cast<unsigned long long>(quantile(pauses, 0.5)),
      static_cast<unsigned long long>(quantile(pauses, 0.99)),
      static_cast<unsigned long long>(maxOf(pauses)),
      static_cast<unsigned long long>(stanPublished),
      static_cast<unsigned long long>(stanPublishes.ackedCount),
      static_cast<unsigned long long>(stanPublishes.errors),
      static_cast<unsigned long long>(stanPublished -
                                      std::min(stanPublished, stanPublishes.answered)),
      static_cast<long long>(ackedMissing), static_cast<unsigned long long>(channelMsgs),
      static_cast<unsigned long long>(stanReceivedLive.load()),
      jsonList(stanPublishes.pauses).c_str(),
      static_cast<unsigned long long>(quantile(stanPublishes.pauses, 0.5)),
      static_cast<unsigned long long>(quantile(stanPublishes.pauses, 0.99)),
      static_cast<unsigned long long>(maxOf(stanPublishes.pauses)),
      static_cast<unsigned long long>(stanPublishes.ackMaxMs));
  std::fflush(stdout);
  // Closing our own connections fires the disconnect callbacks: decide before.
  const int rc = disconnects == 0 && coreConnected && ackedMissing == 0 ? 0 : 1;
  lock.unlock();
  (void)stanConnection_Close(stanSubConn);
  (void)stanConnection_Close(stanPubConn);
  stanSubscription_Destroy(stanSub);
  stanConnection_Destroy(stanSubConn);
  stanConnection_Destroy(stanPubConn);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(subscriber);
  natsConnection_Destroy(publisher);
  return rc;
}
