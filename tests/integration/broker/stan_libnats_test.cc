// The NATS Streaming service against the real C client (libnats's stanConnection API), with
// the real ftbroker binary: publish/ack and delivery with manual acks, and an FT takeover by
// kill -9 of the active during a publish stream that must lose no acknowledged message.
#define NATS_HAS_STREAMING 1
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/broker/ft_support.h"

namespace ftgate::testing {
namespace {

struct Received {
  std::mutex mutex;
  std::set<std::string> data;
  std::atomic<int> count{0};
};

void onMessage(stanConnection*, stanSubscription* sub, const char*, stanMsg* msg, void* closure) {
  auto* received = static_cast<Received*>(closure);
  {
    std::lock_guard<std::mutex> lock(received->mutex);
    received->data.emplace(stanMsg_GetData(msg), static_cast<size_t>(stanMsg_GetDataLength(msg)));
  }
  received->count++;
  (void)stanSubscription_AckMsg(sub, msg);
  stanMsg_Destroy(msg);
}

struct Acks {
  std::mutex mutex;
  std::set<intptr_t> acked;
  std::atomic<int> answered{0};
};
Acks* gAcks = nullptr;

void onPubAck(const char*, const char* error, void* closure) {
  if (error == nullptr) {
    std::lock_guard<std::mutex> lock(gAcks->mutex);
    gAcks->acked.insert(reinterpret_cast<intptr_t>(closure));
  }
  gAcks->answered++;
}

stanConnection* connectStan(const std::vector<std::string>& urls, const char* cluster,
                            const char* clientId) {
  natsOptions* nopts = nullptr;
  stanConnOptions* sopts = nullptr;
  EXPECT_EQ(natsOptions_Create(&nopts), NATS_OK);
  std::vector<const char*> servers;
  for (const std::string& u : urls) servers.push_back(u.c_str());
  EXPECT_EQ(natsOptions_SetServers(nopts, servers.data(), static_cast<int>(servers.size())),
            NATS_OK);
  EXPECT_EQ(natsOptions_SetMaxReconnect(nopts, -1), NATS_OK);
  EXPECT_EQ(natsOptions_SetReconnectWait(nopts, 50), NATS_OK);
  EXPECT_EQ(natsOptions_SetNoRandomize(nopts, true), NATS_OK);
  EXPECT_EQ(stanConnOptions_Create(&sopts), NATS_OK);
  EXPECT_EQ(stanConnOptions_SetNATSOptions(sopts, nopts), NATS_OK);
  EXPECT_EQ(stanConnOptions_SetPubAckWait(sopts, 3000), NATS_OK);
  stanConnection* sc = nullptr;
  natsStatus s = stanConnection_Connect(&sc, cluster, clientId, sopts);
  EXPECT_EQ(s, NATS_OK) << nats_GetLastError(nullptr);
  stanConnOptions_Destroy(sopts);
  natsOptions_Destroy(nopts);
  return sc;
}

TEST(StanLibnats, PublishIsAckedAndDeliveredToAllAvailable) {
  const int port = freePort();
  ChildProcess broker = ChildProcess::start(
      binPath("ftbroker"), {"-a", "127.0.0.1", "-p", std::to_string(port), "-cid", "c1"});
  ASSERT_TRUE(waitFor([&] { return portAccepts(port); }, 10s));
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  stanConnection* sc = connectStan({url}, "c1", "libnats-basic");
  ASSERT_NE(sc, nullptr);
  for (int i = 0; i < 10; ++i) {
    const std::string data = "msg" + std::to_string(i);
    ASSERT_EQ(stanConnection_Publish(sc, "basic", data.data(), static_cast<int>(data.size())),
              NATS_OK);
  }
  Received received;
  stanSubOptions* subOpts = nullptr;
  ASSERT_EQ(stanSubOptions_Create(&subOpts), NATS_OK);
  ASSERT_EQ(stanSubOptions_DeliverAllAvailable(subOpts), NATS_OK);
  ASSERT_EQ(stanSubOptions_SetManualAckMode(subOpts, true), NATS_OK);
  stanSubscription* sub = nullptr;
  ASSERT_EQ(stanConnection_Subscribe(&sub, sc, "basic", onMessage, &received, subOpts), NATS_OK);
  EXPECT_TRUE(waitFor([&] { return received.count.load() >= 10; }, 5s));
  EXPECT_EQ(received.count.load(), 10);
  stanSubscription_Destroy(sub);
  stanSubOptions_Destroy(subOpts);
  EXPECT_EQ(stanConnection_Close(sc), NATS_OK);
  stanConnection_Destroy(sc);
}

// Two ftbrokers share a file store; the client knows both URLs. The active is killed with -9
// in the middle of an async publish stream: every publish the client saw acknowledged must be
// readable from the new active, and publishing continues there on the same session.
TEST(StanLibnats, FtTakeoverByKill9LosesNoAcknowledgedMessage) {
  const std::string dir = makeTempDir("ftbroker-stan-ft");
  BrokerUnderTest a = startFtBroker(dir + "/store", dir + "/a.log");
  ASSERT_TRUE(waitFor([&] { return a.isFtActive() == 200; }, 10s)) << a.process.log();
  BrokerUnderTest b = startFtBroker(dir + "/store", dir + "/b.log");
  ASSERT_TRUE(waitFor([&] { return b.monitorUp(); }, 10s)) << b.process.log();
  const std::vector<std::string> urls = {"nats://127.0.0.1:" + std::to_string(a.port),
                                         "nats://127.0.0.1:" + std::to_string(b.port)};
  stanConnection* sc = connectStan(urls, "it-cluster", "ft-publisher");
  ASSERT_NE(sc, nullptr);

  Acks acks;
  gAcks = &acks;
  constexpr int kTotal = 3000;
  constexpr int kKillAt = 1000;
  int sent = 0;
  for (int i = 0; i < kTotal; ++i) {
    if (i == kKillAt) {
      ASSERT_TRUE(waitFor([&] { return acks.answered.load() >= kKillAt / 2; }, 10s));
      a.process.kill9();
    }
    const std::string data = "m" + std::to_string(i);
    // While the client reconnects, libnats's STAN publish fails fast (no reconnect buffer):
    // an application retries, and so do we.
    natsStatus s = NATS_ERR;
    (void)waitFor(
        [&] {
          s = stanConnection_PublishAsync(sc, "ft", data.data(), static_cast<int>(data.size()),
                                          onPubAck, reinterpret_cast<void*>(intptr_t{i}));
          return s == NATS_OK;
        },
        15s);
    if (s == NATS_OK) sent++;
  }
  ASSERT_TRUE(waitFor([&] { return b.isFtActive() == 200; }, 10s)) << b.process.log();
  EXPECT_TRUE(waitFor([&] { return acks.answered.load() >= sent; }, 30s))
      << acks.answered.load() << "/" << sent;
  std::set<intptr_t> acked;
  {
    std::lock_guard<std::mutex> lock(acks.mutex);
    acked = acks.acked;
  }
  ASSERT_GT(acked.size(), 0u);
  std::fprintf(stderr, "sent %d, answered %d, acked %zu\n", sent, acks.answered.load(),
               acked.size());
  EXPECT_GE(*acked.rbegin(), kKillAt) << "publishing goes on after the takeover";

  Received received;
  stanSubOptions* subOpts = nullptr;
  ASSERT_EQ(stanSubOptions_Create(&subOpts), NATS_OK);
  ASSERT_EQ(stanSubOptions_DeliverAllAvailable(subOpts), NATS_OK);
  ASSERT_EQ(stanSubOptions_SetMaxInflight(subOpts, 10000), NATS_OK);
  stanSubscription* sub = nullptr;
  ASSERT_TRUE(waitFor(
      [&] {
        return stanConnection_Subscribe(&sub, sc, "ft", onMessage, &received, subOpts) == NATS_OK;
      },
      10s))
      << nats_GetLastError(nullptr);
  auto allThere = [&] {
    std::lock_guard<std::mutex> lock(received.mutex);
    for (intptr_t i : acked) {
      if (received.data.count("m" + std::to_string(i)) == 0) return false;
    }
    return true;
  };
  EXPECT_TRUE(waitFor(allThere, 20s))
      << "acked " << acked.size() << ", received " << received.count.load();
  stanSubscription_Destroy(sub);
  stanSubOptions_Destroy(subOpts);
  (void)stanConnection_Close(sc);
  stanConnection_Destroy(sc);
  gAcks = nullptr;
  b.process.signal(SIGTERM);
  EXPECT_EQ(b.process.wait(), 0);
  removeTree(dir);
}

}  // namespace
}  // namespace ftgate::testing
