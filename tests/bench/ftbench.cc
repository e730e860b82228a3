// ftbench: one client tool, built on libnats (the C client users run), for measuring any NATS
// server the same way: ftbroker, Debian's nats-server, ftgate, HAProxy.
//
//   ftbench pubsub --url nats://127.0.0.1:4222 --size 128 --count 1000000
//       one publisher connection -> one subscriber connection; prints msgs/s end to end
//       (first publish to last message received).
//   ftbench reqrep --url nats://127.0.0.1:4222 --count 20000
//       one responder, one requester sending requests one after another; prints latency
//       percentiles in microseconds.
//
// Output is one line of key=value pairs so scripts/bench can tabulate it.
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string mode;
  std::string url = "nats://127.0.0.1:4222";
  int size = 128;
  long count = 100000;
};

bool parseArgs(int argc, char** argv, Args& args) {
  if (argc < 2) return false;
  args.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--url") {
      args.url = argv[i + 1];
    } else if (key == "--size") {
      args.size = std::atoi(argv[i + 1]);
    } else if (key == "--count") {
      args.count = std::atol(argv[i + 1]);
    } else {
      return false;
    }
  }
  return args.size >= 0 && args.count > 0;
}

// sendAsap: write every publish at once instead of leaving it to libnats's flusher thread,
// which waits up to ~1 ms; request/reply latency would otherwise measure that wait (every
// server showed p50 ~ 990 us), not the server or the proxy in the path.
natsConnection* connectOrDie(const std::string& url, bool sendAsap = false) {
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetSendAsap(opts, sendAsap);
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetAllowReconnect(opts, false);
  natsOptions_SetMaxPendingMsgs(opts, 10 * 1000 * 1000);
  natsOptions_SetIOBufSize(opts, 256 * 1024);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    std::fprintf(stderr, "ftbench: cannot connect to %s: %s\n", url.c_str(), natsStatus_GetText(s));
    std::exit(1);
  }
  return nc;
}

struct Receiver {
  std::atomic<long> received{0};
  long expected = 0;
  std::mutex mu;
  std::condition_variable done;
  Clock::time_point last;
};

void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* r = static_cast<Receiver*>(closure);
  natsMsg_Destroy(msg);
  if (r->received.fetch_add(1) + 1 == r->expected) {
    std::lock_guard<std::mutex> lock(r->mu);
    r->last = Clock::now();
    r->done.notify_all();
  }
}

int runPubSub(const Args& args) {
  natsConnection* sub_nc = connectOrDie(args.url);
  natsConnection* pub_nc = connectOrDie(args.url);
  Receiver receiver;
  receiver.expected = args.count;
  natsSubscription* sub = nullptr;
  natsConnection_Subscribe(&sub, sub_nc, "bench.pubsub", onMessage, &receiver);
  natsSubscription_SetPendingLimits(sub, -1, -1);
  natsConnection_Flush(sub_nc);

  std::vector<char> payload(static_cast<size_t>(args.size), 'x');
  // Flush every few MB so neither server cuts the subscriber as a slow consumer; both
  // servers are measured with the same window.
  const long window = std::max(1L, (8L * 1024 * 1024) / std::max(1, args.size + 32));
  const auto start = Clock::now();
  for (long i = 0; i < args.count; ++i) {
    natsConnection_Publish(pub_nc, "bench.pubsub", payload.data(), args.size);
    if ((i + 1) % window == 0) natsConnection_Flush(pub_nc);
  }
  natsConnection_Flush(pub_nc);
  {
    std::unique_lock<std::mutex> lock(receiver.mu);
    bool ok = receiver.done.wait_for(lock, std::chrono::seconds(120),
                                     [&] { return receiver.received.load() >= args.count; });
    if (!ok) {
      std::fprintf(stderr, "ftbench: received %ld of %ld\n", receiver.received.load(), args.count);
      return 1;
    }
  }
  const double secs = std::chrono::duration<double>(receiver.last - start).count();
  std::printf("mode=pubsub size=%d count=%ld secs=%.3f msgs_per_sec=%.0f mb_per_sec=%.1f\n",
              args.size, args.count, secs, args.count / secs,
              args.count * static_cast<double>(args.size) / secs / 1e6);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(pub_nc);
  natsConnection_Destroy(sub_nc);
  return 0;
}

void onRequest(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  if (natsMsg_GetReply(msg) != nullptr) {
    natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg),
                           natsMsg_GetDataLength(msg));
  }
  natsMsg_Destroy(msg);
}

int runReqRep(const Args& args) {
  natsConnection* responder = connectOrDie(args.url, /*sendAsap=*/true);
  natsConnection* requester = connectOrDie(args.url, /*sendAsap=*/true);
  natsSubscription* sub = nullptr;
  natsConnection_Subscribe(&sub, responder, "bench.reqrep", onRequest, nullptr);
  natsConnection_Flush(responder);
  std::vector<char> payload(static_cast<size_t>(args.size), 'x');
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(args.count));
  for (long i = 0; i < args.count; ++i) {
    natsMsg* reply = nullptr;
    const auto t0 = Clock::now();
    natsStatus s =
        natsConnection_Request(&reply, requester, "bench.reqrep", payload.data(), args.size, 5000);
    const auto t1 = Clock::now();
    if (s != NATS_OK) {
      std::fprintf(stderr, "ftbench: request %ld failed: %s\n", i, natsStatus_GetText(s));
      return 1;
    }
    natsMsg_Destroy(reply);
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
  };
  std::printf("mode=reqrep size=%d count=%ld p50_us=%.1f p99_us=%.1f max_us=%.1f\n", args.size,
              args.count, pct(0.50), pct(0.99), micros.back());
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(requester);
  natsConnection_Destroy(responder);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, args) || (args.mode != "pubsub" && args.mode != "reqrep")) {
    std::fprintf(stderr, "usage: ftbench pubsub|reqrep [--url URL] [--size BYTES] [--count N]\n");
    return 2;
  }
  int rc = args.mode == "pubsub" ? runPubSub(args) : runReqRep(args);
  nats_Close();
  return rc;
}
