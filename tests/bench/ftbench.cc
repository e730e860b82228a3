// ftbench: one client tool, built on libnats (the C client users run), for measuring any NATS
// server the same way: ftbroker, Debian's nats-server, ftgate, HAProxy.
//
//   ftbench pubsub --url nats://127.0.0.1:4222 --size 128 --count 1000000
//       one publisher connection -> one subscriber connection; prints msgs/s end to end
//       (first publish to last message received), and client_cpu_ns: the CPU this process
//       (every libnats thread, user + system) spent per message over the run.
//   ftbench reqrep --url nats://127.0.0.1:4222 --count 20000
//       one responder, one requester sending requests one after another; prints latency
//       percentiles in microseconds.
//   --stall SECONDS (default 30): a run fails when no message arrived for that long while
//       some are still missing; slow machines only make a run slower, never a failure.
//
// Output is one line of key=value pairs so scripts/bench can tabulate it.
//
// A run never loses messages silently: reconnect is off, so a closed connection is an error,
// not a gap; every failure prints one line on stderr and exits 1:
//   ftbench: received X of N (published P): <what> -- <detail>
// where <what> is one of
//   disconnected     the server (or the proxy in the path) closed the publisher's or the
//                    subscriber's connection; the detail carries the -ERR it sent, if any
//                    (ftbroker and nats-server close a slow consumer without one)
//   slow consumer    libnats dropped messages for the subscriber (its pending limit)
//   timeout          nothing arrived for --stall seconds although both connections still
//                    answer PING: messages were lost in the path without a close
//   publish failed / flush failed / async error   the status libnats returned
// In pubsub every payload of 8 bytes or more starts with its sequence number, so the first
// missing message and the number of gaps are reported too.
#include <malloc.h>
#include <nats/nats.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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
  int stallSeconds = 30;
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
    } else if (key == "--stall") {
      args.stallSeconds = std::atoi(argv[i + 1]);
    } else {
      return false;
    }
  }
  return args.size >= 0 && args.count > 0 && args.stallSeconds > 0;
}

std::string statusText(natsStatus s) { return natsStatus_GetText(s); }

// The connection's last error as libnats recorded it: the server's -ERR text when it sent one.
std::string lastErrorOf(natsConnection* nc) {
  const char* text = nullptr;
  const natsStatus s = natsConnection_GetLastError(nc, &text);
  if (s == NATS_OK) return "no -ERR from the server (plain close)";
  std::string out = statusText(s);
  if (text != nullptr && *text != '\0' && out != text) out += std::string(": ") + text;
  return out;
}

struct RunState;

// Which connection a libnats callback is about.
struct ConnectionWatch {
  const char* role = "";
  RunState* run = nullptr;
};

// What a run is waiting for and what went wrong first. Written by libnats's threads (message
// delivery, connection events) and the main thread; the main thread waits on `changed`.
struct RunState {
  std::mutex mu;
  std::condition_variable changed;
  std::string failure;               // guarded by mu: the first failure, empty while all is well
  std::atomic<bool> failed{false};   // the same, cheap to poll from the publish loop
  std::atomic<bool> closing{false};  // our own teardown: closes are expected from here on
  ConnectionWatch firstWatch;        // subscriber / responder
  ConnectionWatch secondWatch;       // publisher / requester

  // pubsub: the subscriber's progress.
  long expected = 0;
  std::atomic<long> received{0};
  Clock::time_point last;  // guarded by mu: when the last expected message arrived
  // Sequence tracking: written by the subscription's delivery thread (one per subscription),
  // read by the main thread for the report.
  bool sequenced = false;
  uint64_t nextSequence = 0;  // delivery thread only
  std::atomic<long> gaps{0};
  std::atomic<long> firstMissing{-1};

  // Keeps the first failure only: later ones are usually its consequences.
  void fail(const std::string& what) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure.empty()) return;
      failure = what;
    }
    failed.store(true);
    changed.notify_all();
  }
  std::string failureText() {
    std::lock_guard<std::mutex> lock(mu);
    return failure;
  }
};

void onDisconnected(natsConnection* nc, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  if (watch->run->closing.load()) return;
  watch->run->fail(std::string("disconnected -- the ") + watch->role +
                   " connection was closed by the other end: " + lastErrorOf(nc));
}

void onAsyncError(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure) {
  auto* watch = static_cast<ConnectionWatch*>(closure);
  if (watch->run->closing.load()) return;
  if (err == NATS_SLOW_CONSUMER) {
    int64_t dropped = 0;
    if (sub != nullptr) (void)natsSubscription_GetDropped(sub, &dropped);
    watch->run->fail(std::string("slow consumer -- libnats dropped ") + std::to_string(dropped) +
                     " messages on the " + watch->role + " connection (pending limit)");
    return;
  }
  watch->run->fail(std::string("async error -- on the ") + watch->role +
                   " connection: " + statusText(err) + " (" + lastErrorOf(nc) + ")");
}

// sendAsap: write every publish at once instead of leaving it to libnats's flusher thread,
// which waits up to ~1 ms; request/reply latency would otherwise measure that wait (every
// server showed p50 ~ 990 us), not the server or the proxy in the path.
// Reconnect is off: a reconnect would hide a close as a gap in the stream.
natsConnection* connectOrDie(const std::string& url, ConnectionWatch* watch,
                             bool sendAsap = false) {
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetSendAsap(opts, sendAsap);
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetAllowReconnect(opts, false);
  natsOptions_SetMaxPendingMsgs(opts, 10 * 1000 * 1000);
  natsOptions_SetIOBufSize(opts, 256 * 1024);
  natsOptions_SetDisconnectedCB(opts, onDisconnected, watch);
  natsOptions_SetErrorHandler(opts, onAsyncError, watch);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    std::fprintf(stderr, "ftbench: cannot connect to %s: %s\n", url.c_str(), natsStatus_GetText(s));
    std::exit(1);
  }
  return nc;
}

constexpr size_t kSequenceBytes = sizeof(uint64_t);

void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* run = static_cast<RunState*>(closure);
  if (run->sequenced && natsMsg_GetDataLength(msg) >= static_cast<int>(kSequenceBytes)) {
    uint64_t sequence = 0;
    std::memcpy(&sequence, natsMsg_GetData(msg), kSequenceBytes);
    if (sequence != run->nextSequence && run->gaps.fetch_add(1) == 0) {
      run->firstMissing.store(static_cast<long>(run->nextSequence));
    }
    run->nextSequence = sequence + 1;
  }
  natsMsg_Destroy(msg);
  if (run->received.fetch_add(1) + 1 == run->expected) {
    std::lock_guard<std::mutex> lock(run->mu);
    run->last = Clock::now();
  }
  // Every message wakes the waiter only at the end; progress is polled, not signalled.
  if (run->received.load() >= run->expected) run->changed.notify_all();
}

enum class WaitResult { AllReceived, Failed, Stalled };

// Waits until every message arrived, something failed, or nothing arrived for `stall` while
// messages are still missing. A slow run keeps going as long as messages keep coming.
WaitResult waitForMessages(RunState& run, std::chrono::seconds stall) {
  long seen = run.received.load();
  auto lastProgress = Clock::now();
  std::unique_lock<std::mutex> lock(run.mu);
  for (;;) {
    run.changed.wait_for(lock, std::chrono::milliseconds(200), [&] {
      return run.received.load() >= run.expected || !run.failure.empty();
    });
    if (run.received.load() >= run.expected) return WaitResult::AllReceived;
    if (!run.failure.empty()) return WaitResult::Failed;
    const long now = run.received.load();
    if (now != seen) {
      seen = now;
      lastProgress = Clock::now();
    } else if (Clock::now() - lastProgress >= stall) {
      return WaitResult::Stalled;
    }
  }
}

// After a stall: do both connections still answer PING? If so nothing was closed and the
// missing messages vanished somewhere in the server or the proxy.
std::string describeStall(natsConnection* sub_nc, natsConnection* pub_nc, int stallSeconds) {
  const natsStatus subAlive = natsConnection_FlushTimeout(sub_nc, 5000);
  const natsStatus pubAlive = natsConnection_FlushTimeout(pub_nc, 5000);
  std::string out = "timeout -- no message for " + std::to_string(stallSeconds) + " s; ";
  if (subAlive == NATS_OK && pubAlive == NATS_OK) {
    return out +
           "both connections still answer PING, so the missing messages were lost in the "
           "path without a close";
  }
  return out + "PING on the subscriber: " + statusText(subAlive) + " (" + lastErrorOf(sub_nc) +
         "), on the publisher: " + statusText(pubAlive) + " (" + lastErrorOf(pub_nc) + ")";
}

// Closes the connections before the subscription goes (`sub` may be null): libnats 3.4's read
// loop can still be handing a message to a subscription destroyed under it (seen as a crash in
// natsConn_processMsg after a server closed the connection mid-run).
void closeAll(natsSubscription* sub, natsConnection* first, natsConnection* second) {
  natsConnection_Close(second);
  natsConnection_Close(first);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(second);
  natsConnection_Destroy(first);
}

// CPU time this process has used so far, every thread, user + system, in nanoseconds.
int64_t processCpuNanos() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto nanos = [](const timeval& t) { return t.tv_sec * int64_t{1000000000} + t.tv_usec * 1000; };
  return nanos(usage.ru_utime) + nanos(usage.ru_stime);
}

// `run` outlives every libnats thread (main destroys it after nats_CloseAndWait): connection
// and delivery callbacks may still be queued when this returns.
int runPubSub(const Args& args, RunState& run) {
  run.expected = args.count;
  run.sequenced = args.size >= static_cast<int>(kSequenceBytes);
  run.firstWatch = {"subscriber", &run};
  run.secondWatch = {"publisher", &run};
  natsConnection* sub_nc = connectOrDie(args.url, &run.firstWatch);
  natsConnection* pub_nc = connectOrDie(args.url, &run.secondWatch);
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_Subscribe(&sub, sub_nc, "bench.pubsub", onMessage, &run);
  // -1: no limit in libnats; its default (64 MiB) would drop 16 KB messages after ~4000.
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, -1, -1);
  if (s == NATS_OK) s = natsConnection_Flush(sub_nc);
  if (s != NATS_OK) {
    std::fprintf(stderr, "ftbench: cannot subscribe: %s\n", natsStatus_GetText(s));
    run.closing.store(true);
    closeAll(sub, sub_nc, pub_nc);
    return 1;
  }

  std::vector<char> payload(static_cast<size_t>(args.size), 'x');
  // Flush every few MB: bounds how far the publisher runs ahead of the server (not of the
  // subscriber); both servers are measured with the same window.
  const long window = std::max(1L, (8L * 1024 * 1024) / std::max(1, args.size + 32));
  long published = 0;
  const auto start = Clock::now();
  const int64_t cpuAtStart = processCpuNanos();
  for (long i = 0; i < args.count && !run.failed.load(); ++i) {
    if (run.sequenced) {
      const auto sequence = static_cast<uint64_t>(i);
      std::memcpy(payload.data(), &sequence, kSequenceBytes);
    }
    s = natsConnection_Publish(pub_nc, "bench.pubsub", payload.data(), args.size);
    if (s != NATS_OK) {
      // A publish on a closed connection is the close itself, seen before its callback ran.
      const std::string what = s == NATS_CONNECTION_CLOSED
                                   ? "disconnected -- the publisher connection was closed by the "
                                     "other end (publish of message "
                                   : "publish failed -- (message ";
      run.fail(what + std::to_string(i) + "): " + statusText(s) + ", " + lastErrorOf(pub_nc));
      break;
    }
    ++published;
    if ((i + 1) % window == 0 || i + 1 == args.count) {
      // Generous: a loaded machine may take seconds; a dead connection fails at once.
      s = natsConnection_FlushTimeout(pub_nc, 60 * 1000);
      if (s != NATS_OK) {
        const std::string what = s == NATS_CONNECTION_CLOSED
                                     ? "disconnected -- the publisher connection was closed by "
                                       "the other end (flush after message "
                                     : "flush failed -- (after message ";
        run.fail(what + std::to_string(i) + "): " + statusText(s) + ", " + lastErrorOf(pub_nc));
        break;
      }
    }
  }

  WaitResult result = waitForMessages(run, std::chrono::seconds(args.stallSeconds));
  if (result == WaitResult::Stalled) {
    run.fail(describeStall(sub_nc, pub_nc, args.stallSeconds));
  }
  run.closing.store(true);
  if (result != WaitResult::AllReceived) {
    int64_t dropped = 0;
    (void)natsSubscription_GetDropped(sub, &dropped);
    std::string detail = run.failureText();
    if (dropped > 0) detail += "; libnats dropped " + std::to_string(dropped);
    if (run.gaps.load() > 0) {
      detail += "; " + std::to_string(run.gaps.load()) +
                " gap(s) in the sequence, first missing message " +
                std::to_string(run.firstMissing.load());
    }
    std::fprintf(stderr, "ftbench: received %ld of %ld (published %ld): %s\n", run.received.load(),
                 args.count, published, detail.c_str());
    closeAll(sub, sub_nc, pub_nc);
    return 1;
  }
  Clock::time_point last;
  {
    std::lock_guard<std::mutex> lock(run.mu);
    last = run.last;
  }
  const double secs = std::chrono::duration<double>(last - start).count();
  const double cpuPerMessage = static_cast<double>(processCpuNanos() - cpuAtStart) / args.count;
  std::printf(
      "mode=pubsub size=%d count=%ld secs=%.3f msgs_per_sec=%.0f mb_per_sec=%.1f "
      "client_cpu_ns=%.0f\n",
      args.size, args.count, secs, args.count / secs,
      args.count * static_cast<double>(args.size) / secs / 1e6, cpuPerMessage);
  if (run.gaps.load() > 0) {
    // Every message counted but some out of order or duplicated: still a defect to show.
    std::fprintf(stderr, "ftbench: %ld gap(s) in the sequence, first at message %ld\n",
                 run.gaps.load(), run.firstMissing.load());
    closeAll(sub, sub_nc, pub_nc);
    return 1;
  }
  closeAll(sub, sub_nc, pub_nc);
  return 0;
}

void onRequest(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  if (natsMsg_GetReply(msg) != nullptr) {
    natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg),
                           natsMsg_GetDataLength(msg));
  }
  natsMsg_Destroy(msg);
}

int runReqRep(const Args& args, RunState& run) {
  run.firstWatch = {"responder", &run};
  run.secondWatch = {"requester", &run};
  natsConnection* responder = connectOrDie(args.url, &run.firstWatch, /*sendAsap=*/true);
  natsConnection* requester = connectOrDie(args.url, &run.secondWatch, /*sendAsap=*/true);
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_Subscribe(&sub, responder, "bench.reqrep", onRequest, nullptr);
  if (s == NATS_OK) s = natsConnection_Flush(responder);
  if (s != NATS_OK) {
    std::fprintf(stderr, "ftbench: cannot subscribe: %s\n", natsStatus_GetText(s));
    run.closing.store(true);
    closeAll(sub, responder, requester);
    return 1;
  }
  std::vector<char> payload(static_cast<size_t>(args.size), 'x');
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(args.count));
  for (long i = 0; i < args.count; ++i) {
    natsMsg* reply = nullptr;
    const auto t0 = Clock::now();
    s = natsConnection_Request(&reply, requester, "bench.reqrep", payload.data(), args.size, 5000);
    const auto t1 = Clock::now();
    if (s != NATS_OK) {
      // A close seen by either side says more than the request's own status.
      const std::string why = run.failed.load() ? run.failureText() : lastErrorOf(requester);
      std::fprintf(stderr, "ftbench: request %ld failed: %s -- %s\n", i, natsStatus_GetText(s),
                   why.c_str());
      run.closing.store(true);
      closeAll(sub, responder, requester);
      return 1;
    }
    natsMsg_Destroy(reply);
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  run.closing.store(true);
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
  };
  std::printf("mode=reqrep size=%d count=%ld p50_us=%.1f p99_us=%.1f max_us=%.1f\n", args.size,
              args.count, pct(0.50), pct(0.99), micros.back());
  closeAll(sub, responder, requester);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The measuring tool keeps its freed heap. libnats allocates and frees every message; with
  // glibc's default trim threshold the subscriber's heap was given back and faulted in again
  // all run long (49 000-67 000 page faults per 2 M messages, ~2 300 with this), which tripled
  // ftbench's CPU per 128 B message and made rounds differ by +-20 %. ftbroker and ftgate keep
  // theirs too (common/net/heap_retention.h).
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
  Args args;
  if (!parseArgs(argc, argv, args) || (args.mode != "pubsub" && args.mode != "reqrep")) {
    std::fprintf(stderr,
                 "usage: ftbench pubsub|reqrep [--url URL] [--size BYTES] [--count N] "
                 "[--stall SECONDS]\n");
    return 2;
  }
  RunState run;
  int rc = args.mode == "pubsub" ? runPubSub(args, run) : runReqRep(args, run);
  run.closing.store(true);
  // Waits for libnats's threads, whose queued callbacks still point at `run`.
  if (nats_CloseAndWait(10 * 1000) != NATS_OK) std::_Exit(rc);
  return rc;
}
