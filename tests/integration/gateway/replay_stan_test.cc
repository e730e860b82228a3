// A NATS Streaming client that knows only the gateway's address keeps its session through a
// kill -9 of the active ftbroker: real ftbrokers in one FT group (file store), the real ftgate,
// and libnats's STAN API with NATS reconnect disabled, so anything the gateway does not hide
// ends the connection (and fires the connection-lost handler).
//
// What a user would notice, asserted: no connection lost; every synchronous publish returns OK
// and the slowest one pauses for about the switch, far less than its 30 s ack wait (the
// gateway re-sends publishes whose PubAck the dead active never sent); every acknowledged
// message reaches the durable subscriber (at least once: duplicates allowed); publishing after
// the switch works.
#define NATS_HAS_STREAMING 1
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/gateway/replay_support.h"

namespace ftgate::testing {
namespace {

constexpr const char* kCluster = "test-cluster";  // ftbroker's default cluster id
constexpr const char* kChannel = "orders";

struct LostCount {
  std::atomic<int> lost{0};
  std::mutex mutex;
  std::string why;
};

void onConnectionLost(stanConnection*, const char* errorText, void* closure) {
  auto* count = static_cast<LostCount*>(closure);
  std::lock_guard<std::mutex> lock(count->mutex);
  count->why = errorText != nullptr ? errorText : "";
  ++count->lost;
}

// A STAN connection through `url` only, NATS reconnect disabled, default pub ack wait (30 s).
stanConnection* connectThroughGateway(const std::string& url, const char* clientId,
                                      LostCount& lost) {
  natsOptions* nopts = nullptr;
  stanConnOptions* sopts = nullptr;
  stanConnection* sc = nullptr;
  if (natsOptions_Create(&nopts) == NATS_OK && natsOptions_SetURL(nopts, url.c_str()) == NATS_OK &&
      natsOptions_SetAllowReconnect(nopts, false) == NATS_OK &&
      stanConnOptions_Create(&sopts) == NATS_OK &&
      stanConnOptions_SetNATSOptions(sopts, nopts) == NATS_OK &&
      stanConnOptions_SetConnectionLostHandler(sopts, onConnectionLost, &lost) == NATS_OK) {
    const natsStatus status = stanConnection_Connect(&sc, kCluster, clientId, sopts);
    EXPECT_EQ(status, NATS_OK) << nats_GetLastError(nullptr);
  }
  stanConnOptions_Destroy(sopts);
  natsOptions_Destroy(nopts);
  return sc;
}

struct Delivered {
  std::mutex mutex;
  std::set<std::string> payloads;
  std::atomic<uint64_t> deliveries{0};
  bool has(const std::string& payload) {
    std::lock_guard<std::mutex> lock(mutex);
    return payloads.contains(payload);
  }
};

void onMessage(stanConnection*, stanSubscription* sub, const char*, stanMsg* msg, void* closure) {
  auto* delivered = static_cast<Delivered*>(closure);
  {
    std::lock_guard<std::mutex> lock(delivered->mutex);
    delivered->payloads.emplace(stanMsg_GetData(msg),
                                static_cast<size_t>(stanMsg_GetDataLength(msg)));
  }
  ++delivered->deliveries;
  (void)stanSubscription_AckMsg(sub, msg);
  stanMsg_Destroy(msg);
}

// Synchronous publishes from a thread: what each returned and how long the slowest took.
struct Publisher {
  stanConnection* sc = nullptr;
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::mutex mutex;
  std::vector<std::string> ackedPayloads;
  std::vector<natsStatus> failures;
  std::chrono::milliseconds slowest{0};

  void run() {
    for (int i = 0; !stop; ++i) {
      const std::string payload = "m" + std::to_string(i);
      const auto began = Clock::now();
      const natsStatus status =
          stanConnection_Publish(sc, kChannel, payload.data(), static_cast<int>(payload.size()));
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
      std::lock_guard<std::mutex> lock(mutex);
      slowest = std::max(slowest, took);
      if (status == NATS_OK) {
        ackedPayloads.push_back(payload);
        ++acked;
      } else {
        failures.push_back(status);
      }
      // Paced so the stream is steady rather than a burst; not a synchronisation.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
};

TEST(GatewayReplayStan, StreamingClientKeepsPublishingAndReceivingThroughKill9) {
  FtGroup group;
  ASSERT_TRUE(group.start(/*startB=*/true)) << group.gw.process.log();
  const std::string url = group.url();

  LostCount subLost, pubLost;
  stanConnection* subConn = connectThroughGateway(url, "replay-sub", subLost);
  ASSERT_NE(subConn, nullptr) << group.gw.process.log();
  Delivered delivered;
  stanSubOptions* subOpts = nullptr;
  ASSERT_EQ(stanSubOptions_Create(&subOpts), NATS_OK);
  ASSERT_EQ(stanSubOptions_SetDurableName(subOpts, "replay-durable"), NATS_OK);
  ASSERT_EQ(stanSubOptions_SetManualAckMode(subOpts, true), NATS_OK);
  ASSERT_EQ(stanSubOptions_DeliverAllAvailable(subOpts), NATS_OK);
  // A delivery the dead active sent but that never arrived comes again after this.
  ASSERT_EQ(stanSubOptions_SetAckWait(subOpts, 2000), NATS_OK);
  stanSubscription* sub = nullptr;
  ASSERT_EQ(stanConnection_Subscribe(&sub, subConn, kChannel, onMessage, &delivered, subOpts),
            NATS_OK);
  stanSubOptions_Destroy(subOpts);

  stanConnection* pubConn = connectThroughGateway(url, "replay-pub", pubLost);
  ASSERT_NE(pubConn, nullptr) << group.gw.process.log();
  Publisher publisher;
  publisher.sc = pubConn;
  std::thread publishing([&] { publisher.run(); });

  ASSERT_TRUE(waitFor([&] { return publisher.acked.load() >= 50; }, 20s));
  const int ackedBeforeKill = publisher.acked.load();
  group.brokerA.kill9();
  // Mid-stream: the publisher keeps going through the switch and well past it.
  const bool keptGoing =
      waitFor([&] { return publisher.acked.load() >= ackedBeforeKill + 100; }, 40s);
  publisher.stop = true;
  publishing.join();
  ASSERT_TRUE(keptGoing) << "publishing stalled after the kill\n" << group.gw.process.log();
  EXPECT_EQ(group.activeName(), "b");

  // A publish after the switch, and its delivery.
  ASSERT_EQ(stanConnection_Publish(pubConn, kChannel, "after", 5), NATS_OK);

  {
    std::lock_guard<std::mutex> lock(publisher.mutex);
    EXPECT_TRUE(publisher.failures.empty())
        << publisher.failures.size()
        << " publishes failed, first: " << natsStatus_GetText(publisher.failures.front());
    EXPECT_LT(publisher.slowest, 10s) << "a publish waited for its ack wait, not the switch";
    std::fprintf(stderr, "[ measure  ] slowest synchronous publish across the switch: %lld ms\n",
                 static_cast<long long>(publisher.slowest.count()));
  }
  std::vector<std::string> expected = publisher.ackedPayloads;
  expected.push_back("after");
  // Unacknowledged deliveries come again after the subscription's 2 s ack wait.
  const bool allDelivered = waitFor(
      [&] {
        for (const std::string& p : expected)
          if (!delivered.has(p)) return false;
        return true;
      },
      30s);
  size_t missing = 0;
  for (const std::string& p : expected) missing += delivered.has(p) ? 0 : 1;
  EXPECT_TRUE(allDelivered) << missing << " of " << expected.size()
                            << " acknowledged messages never reached the subscriber";

  EXPECT_EQ(pubLost.lost.load(), 0) << pubLost.why;
  EXPECT_EQ(subLost.lost.load(), 0) << subLost.why;
  EXPECT_GE(group.stat("sessions_migrated"), 2u) << group.relayStats().dump();
  std::fprintf(stderr, "[ measure  ] %zu acked publishes, %llu deliveries, gateway: %s\n",
               expected.size(), static_cast<unsigned long long>(delivered.deliveries.load()),
               group.relayStats().dump().c_str());

  (void)stanSubscription_Close(sub);
  stanSubscription_Destroy(sub);
  (void)stanConnection_Close(subConn);
  (void)stanConnection_Close(pubConn);
  stanConnection_Destroy(subConn);
  stanConnection_Destroy(pubConn);
}

}  // namespace
}  // namespace ftgate::testing
