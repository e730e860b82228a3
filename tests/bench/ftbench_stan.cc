// ftbench_stan: the NATS Streaming benchmark client, on libnats's STAN API (what C users run).
//
//   ftbench_stan pub --url nats://127.0.0.1:4222 --cluster test-cluster --size 128
//                    --count 200000 [--inflight 16384]
//       one publisher, PublishAsync with a PubAck handler; prints acked msgs/s (first publish
//       to last PubAck).
//   ftbench_stan pubsub ... (same options)
//       one subscriber (auto ack, max in flight --inflight) and one publisher as above, on two
//       connections; prints msgs/s end to end (first publish to the last message received,
//       every PubAck received too).
//
// Output is one line of key=value pairs so scripts/bench can tabulate it. Exit 1 on errors
// (a PubAck with an error, a timeout).
// Debian's nats.h declares the STAN API only with this defined (the library has it).
#define NATS_HAS_STREAMING 1
#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string mode;
  std::string url = "nats://127.0.0.1:4222";
  std::string cluster = "test-cluster";
  int size = 128;
  long count = 100000;
  int inflight = 16384;
};

bool parseArgs(int argc, char** argv, Args& args) {
  if (argc < 2) return false;
  args.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--url") {
      args.url = value;
    } else if (key == "--cluster") {
      args.cluster = value;
    } else if (key == "--size") {
      args.size = std::atoi(value);
    } else if (key == "--count") {
      args.count = std::atol(value);
    } else if (key == "--inflight") {
      args.inflight = std::atoi(value);
    } else {
      return false;
    }
  }
  return (args.mode == "pub" || args.mode == "pubsub") && args.count > 0 && args.size >= 0;
}

// Counters shared with libnats's callback threads.
struct Progress {
  std::atomic<long> acked{0};
  std::atomic<long> ackErrors{0};
  std::atomic<long> received{0};
  long wantAcks = 0;
  long wantMsgs = 0;
  std::mutex mutex;
  std::condition_variable cv;
  Clock::time_point lastAck;
  Clock::time_point lastMsg;

  void notifyIfDone() {
    if (acked.load() >= wantAcks && received.load() >= wantMsgs) {
      std::lock_guard<std::mutex> lock(mutex);
      cv.notify_all();
    }
  }
};

void onPubAck(const char* /*guid*/, const char* error, void* closure) {
  auto* p = static_cast<Progress*>(closure);
  if (error != nullptr && error[0] != '\0') {
    if (p->ackErrors.fetch_add(1) == 0) std::fprintf(stderr, "PubAck error: %s\n", error);
  }
  if (p->acked.fetch_add(1) + 1 == p->wantAcks) p->lastAck = Clock::now();
  p->notifyIfDone();
}

void onMessage(stanConnection* /*sc*/, stanSubscription* /*sub*/, const char* /*channel*/,
               stanMsg* msg, void* closure) {
  auto* p = static_cast<Progress*>(closure);
  stanMsg_Destroy(msg);
  if (p->received.fetch_add(1) + 1 == p->wantMsgs) p->lastMsg = Clock::now();
  p->notifyIfDone();
}

stanConnection* connect(const Args& args, const std::string& clientId, int maxPubAcks) {
  stanConnOptions* options = nullptr;
  stanConnection* sc = nullptr;
  natsStatus s = stanConnOptions_Create(&options);
  if (s == NATS_OK) s = stanConnOptions_SetURL(options, args.url.c_str());
  if (s == NATS_OK) s = stanConnOptions_SetMaxPubAcksInflight(options, maxPubAcks, 0.5F);
  if (s == NATS_OK) s = stanConnOptions_SetPubAckWait(options, 60000);
  if (s == NATS_OK)
    s = stanConnection_Connect(&sc, args.cluster.c_str(), clientId.c_str(), options);
  stanConnOptions_Destroy(options);
  if (s != NATS_OK) {
    std::fprintf(stderr, "connect %s: %s\n", clientId.c_str(), natsStatus_GetText(s));
    return nullptr;
  }
  return sc;
}

int run(const Args& args) {
  const std::string tag = std::to_string(getpid());
  const std::string channel = "bench." + tag;
  Progress progress;
  progress.wantAcks = args.count;
  progress.wantMsgs = args.mode == "pubsub" ? args.count : 0;

  stanConnection* subConn = nullptr;
  stanSubscription* sub = nullptr;
  if (args.mode == "pubsub") {
    subConn = connect(args, "bench-sub-" + tag, args.inflight);
    if (subConn == nullptr) return 1;
    stanSubOptions* so = nullptr;
    natsStatus s = stanSubOptions_Create(&so);
    if (s == NATS_OK) s = stanSubOptions_SetMaxInflight(so, args.inflight);
    if (s == NATS_OK) s = stanSubOptions_SetAckWait(so, 60000);
    if (s == NATS_OK)
      s = stanConnection_Subscribe(&sub, subConn, channel.c_str(), onMessage, &progress, so);
    stanSubOptions_Destroy(so);
    if (s != NATS_OK) {
      std::fprintf(stderr, "subscribe: %s\n", natsStatus_GetText(s));
      return 1;
    }
  }
  stanConnection* pubConn = connect(args, "bench-pub-" + tag, args.inflight);
  if (pubConn == nullptr) return 1;

  const std::string payload(static_cast<size_t>(args.size), 'x');
  const Clock::time_point began = Clock::now();
  for (long i = 0; i < args.count; ++i) {
    natsStatus s =
        stanConnection_PublishAsync(pubConn, channel.c_str(), payload.data(),
                                    static_cast<int>(payload.size()), onPubAck, &progress);
    if (s != NATS_OK) {
      std::fprintf(stderr, "publish: %s\n", natsStatus_GetText(s));
      return 1;
    }
  }
  bool done = false;
  {
    std::unique_lock<std::mutex> lock(progress.mutex);
    done = progress.cv.wait_for(lock, std::chrono::seconds(120), [&] {
      return progress.acked.load() >= progress.wantAcks &&
             progress.received.load() >= progress.wantMsgs;
    });
  }
  if (!done) {
    std::fprintf(stderr, "timeout: %ld/%ld acked, %ld/%ld received\n", progress.acked.load(),
                 progress.wantAcks, progress.received.load(), progress.wantMsgs);
    return 1;
  }
  const Clock::time_point end =
      args.mode == "pubsub" ? std::max(progress.lastMsg, progress.lastAck) : progress.lastAck;
  const double secs = std::chrono::duration<double>(end - began).count();
  std::printf("mode=%s size=%d count=%ld secs=%.3f msgs_per_sec=%.0f ack_errors=%ld\n",
              args.mode.c_str(), args.size, args.count, secs,
              static_cast<double>(args.count) / secs, progress.ackErrors.load());
  std::fflush(stdout);

  if (sub != nullptr) {
    (void)stanSubscription_Unsubscribe(sub);
    stanSubscription_Destroy(sub);
  }
  (void)stanConnection_Close(pubConn);
  stanConnection_Destroy(pubConn);
  if (subConn != nullptr) {
    (void)stanConnection_Close(subConn);
    stanConnection_Destroy(subConn);
  }
  return progress.ackErrors.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: ftbench_stan pub|pubsub [--url URL] [--cluster ID] [--size N] "
                 "[--count N] [--inflight N]\n");
    return 2;
  }
  const int rc = run(args);
  nats_Close();
  return rc;
}
