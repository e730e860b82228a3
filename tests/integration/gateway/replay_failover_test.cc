// ftgate keeps clients connected through a failover: real ftbrokers in one FT group behind the
// real ftgate, kill -9 of the active, and clients that must not notice more than a pause.
// Also each case where the gateway closes instead of replaying, with its reason counted.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include "tests/integration/gateway/replay_support.h"
#include "tests/integration/support/raw_client.h"

namespace ftgate::testing {
namespace {

// A raw client through the gateway, past INFO and CONNECT.
bool rawConnect(RawClient& c, int port, const std::string& connectJson) {
  if (!c.connect(port)) return false;
  if (!c.expect("INFO ")) return false;
  if (!c.expect("\r\n")) return false;
  return c.send("CONNECT " + connectJson + "\r\nPING\r\n") && c.expect("PONG\r\n");
}

size_t countOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

struct NatsCallbacks {
  std::atomic<int> disconnects{0};
  std::atomic<int> closes{0};
};

void onDisconnected(natsConnection*, void* closure) {
  ++static_cast<NatsCallbacks*>(closure)->disconnects;
}
void onClosed(natsConnection*, void* closure) { ++static_cast<NatsCallbacks*>(closure)->closes; }

void respond(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  if (natsMsg_GetReply(msg) != nullptr) {
    (void)natsConnection_PublishString(nc, natsMsg_GetReply(msg), "pong");
  }
  natsMsg_Destroy(msg);
}

TEST(GatewayReplay, LibnatsClientWithoutReconnectStaysConnectedThroughKill9) {
  FtGroup group;
  ASSERT_TRUE(group.start(/*startB=*/true)) << group.gw.process.log();

  NatsCallbacks callbacks;
  natsOptions* opts = nullptr;
  ASSERT_EQ(natsOptions_Create(&opts), NATS_OK);
  const std::string url = "nats://127.0.0.1:" + std::to_string(group.gw.port);
  ASSERT_EQ(natsOptions_SetURL(opts, url.c_str()), NATS_OK);
  ASSERT_EQ(natsOptions_SetAllowReconnect(opts, false), NATS_OK);
  ASSERT_EQ(natsOptions_SetDisconnectedCB(opts, onDisconnected, &callbacks), NATS_OK);
  ASSERT_EQ(natsOptions_SetClosedCB(opts, onClosed, &callbacks), NATS_OK);
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_Connect(&nc, opts), NATS_OK);
  natsSubscription* orders = nullptr;
  natsSubscription* service = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&orders, nc, "orders.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Subscribe(&service, nc, "svc", respond, nullptr), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc, "orders.1", "before"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, orders, 5000), NATS_OK);
  natsMsg_Destroy(msg);

  const auto killedAt = Clock::now();
  group.brokerA.kill9();
  // The first round trip after the kill: flush waits for a PONG the new active gives.
  ASSERT_EQ(natsConnection_FlushTimeout(nc, 10000), NATS_OK) << group.gw.process.log();
  const auto pauseMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt).count();
  EXPECT_EQ(group.activeName(), "b");

  ASSERT_EQ(natsConnection_PublishString(nc, "orders.2", "after"), NATS_OK);
  ASSERT_EQ(natsSubscription_NextMsg(&msg, orders, 5000), NATS_OK) << group.gw.process.log();
  EXPECT_STREQ(natsMsg_GetData(msg), "after");
  natsMsg_Destroy(msg);
  natsMsg* reply = nullptr;
  ASSERT_EQ(natsConnection_RequestString(&reply, nc, "svc", "ping", 5000), NATS_OK);
  EXPECT_STREQ(natsMsg_GetData(reply), "pong");
  natsMsg_Destroy(reply);

  EXPECT_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
  EXPECT_EQ(callbacks.disconnects.load(), 0);
  EXPECT_EQ(callbacks.closes.load(), 0);
  EXPECT_GE(group.stat("sessions_migrated"), 1u) << group.relayStats().dump();
  std::fprintf(stderr, "[ measure  ] kill -9 -> first round trip through the gateway: %lld ms\n",
               static_cast<long long>(pauseMs));
  std::fprintf(stderr, "[ measure  ] gateway pause p50/p99/max: %s\n",
               group.relayStats().dump().c_str());

  natsSubscription_Destroy(orders);
  natsSubscription_Destroy(service);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
}

TEST(GatewayReplay, RawClientKeepsMaxCountVerboseAndPingOrder) {
  FtGroup group;
  ASSERT_TRUE(group.start(/*startB=*/true)) << group.gw.process.log();
  RawClient sub;
  ASSERT_TRUE(rawConnect(sub, group.gw.port, R"({"verbose":true,"protocol":1})"));
  ASSERT_TRUE(sub.send("SUB a 1\r\nUNSUB 1 3\r\nPING\r\n"));
  std::string got;
  ASSERT_TRUE(sub.expect("PONG\r\n", 5s, &got));
  RawClient pub;
  ASSERT_TRUE(rawConnect(pub, group.gw.port, R"({"verbose":false})"));
  ASSERT_TRUE(pub.send("PUB a 1\r\n1\r\nPING\r\n") && pub.expect("PONG\r\n"));
  ASSERT_TRUE(sub.expect("MSG a 1 1\r\n1\r\n"));

  group.brokerA.kill9();
  ASSERT_TRUE(sub.send("PING\r\n"));  // during the switch: answered once b has the session
  std::string beforePong;
  ASSERT_TRUE(sub.expect("PONG\r\n", 10s, &beforePong)) << group.gw.process.log();
  EXPECT_EQ(group.activeName(), "b");
  // No +OK caused by the replay leaks to the client (its own frames were all answered).
  EXPECT_EQ(countOf(beforePong, "+OK"), 0u) << beforePong;

  ASSERT_TRUE(pub.send("PING\r\n") && pub.expect("PONG\r\n", 10s));
  ASSERT_TRUE(pub.send("PUB a 1\r\n2\r\nPUB a 1\r\n3\r\nPUB a 1\r\n4\r\nPING\r\n"));
  ASSERT_TRUE(pub.expect("PONG\r\n"));
  ASSERT_TRUE(sub.send("PING\r\n"));
  std::string afterSwitch;
  ASSERT_TRUE(sub.expect("PONG\r\n", 5s, &afterSwitch));
  // UNSUB 1 3 with one delivered before: exactly two more.
  EXPECT_EQ(countOf(afterSwitch, "MSG a 1 1\r\n"), 2u) << afterSwitch;
  EXPECT_NE(afterSwitch.find("MSG a 1 1\r\n2\r\n"), std::string::npos);
  EXPECT_NE(afterSwitch.find("MSG a 1 1\r\n3\r\n"), std::string::npos);
  EXPECT_EQ(group.stat("closes_backend_failed"), 0u);
}

// What a publisher sends while the gateway holds its bytes during a switch reaches every
// subscription of every other migrating session: held PUBs are flushed to the new active only
// once every migrating session's SUBs are in place there (the migration barrier). On loopback
// the sessions' replays finish close together, so this passed before the barrier too (also
// with 10 000 subscriptions); it guards the behaviour, it does not provoke the race.
TEST(GatewayReplay, MessagesHeldDuringTheSwitchReachEverySubscription) {
  FtGroup group;
  ASSERT_TRUE(group.start(/*startB=*/true)) << group.gw.process.log();
  constexpr int kSubs = 2000;
  constexpr int kHeld = 10;
  RawClient sub;
  ASSERT_TRUE(rawConnect(sub, group.gw.port, R"({"verbose":false})"));
  std::string subs;
  for (int sid = 1; sid <= kSubs; ++sid) subs += "SUB held " + std::to_string(sid) + "\r\n";
  ASSERT_TRUE(sub.send(subs + "PING\r\n") && sub.expect("PONG\r\n", 10s));
  RawClient pub;
  ASSERT_TRUE(rawConnect(pub, group.gw.port, R"({"verbose":false})"));

  group.brokerA.kill9();
  // Both sessions are switching: what the publisher sends now is held by the gateway.
  ASSERT_TRUE(waitFor([&] { return group.stat("migrations_started") == 2; }, 5s));
  std::string pubs;
  for (int i = 0; i < kHeld; ++i) pubs += "PUB held 1\r\nx\r\n";
  ASSERT_TRUE(pub.send(pubs + "PING\r\n"));
  ASSERT_TRUE(pub.expect("PONG\r\n", 10s)) << group.gw.process.log();
  ASSERT_TRUE(sub.send("PING\r\n"));
  std::string got;
  ASSERT_TRUE(sub.expect("PONG\r\n", 10s, &got));
  // Every subscription got every held message.
  EXPECT_EQ(countOf(got, "MSG held "), static_cast<size_t>(kSubs * kHeld))
      << "held messages reached the new active before all subscriptions were replayed\n"
      << group.relayStats().dump();
  for (int sid : {1, kSubs / 2, kSubs}) {
    EXPECT_EQ(countOf(got, "MSG held " + std::to_string(sid) + " 1\r\n"),
              static_cast<size_t>(kHeld))
        << "sid " << sid;
  }
  EXPECT_EQ(group.stat("sessions_migrated"), 2u);
}

TEST(GatewayReplay, ClosesWhenTheClientSendsOverTheBuffer) {
  FtGroup group;
  ASSERT_TRUE(group.start(/*startB=*/false, "failover { buffer: 1KB, hold: 10s }\n"))
      << group.gw.process.log();
  RawClient c;
  ASSERT_TRUE(rawConnect(c, group.gw.port, R"({"verbose":false})"));
  group.brokerA.kill9();
  ASSERT_TRUE(waitFor([&] { return group.stat("migrations_started") == 1; }, 5s));
  const std::string payload(2048, 'x');
  (void)c.send("PUB big 2048\r\n" + payload + "\r\n");
  EXPECT_TRUE(c.waitClosed(5s));
  EXPECT_EQ(group.stat("closes_buffer_exceeded"), 1u) << group.relayStats().dump();
}

TEST(GatewayReplay, ClosesWhenNoActiveWithinTheHold) {
  FtGroup group;
  ASSERT_TRUE(group.start(/*startB=*/false, "failover { hold: 300ms }\n"))
      << group.gw.process.log();
  RawClient c;
  ASSERT_TRUE(rawConnect(c, group.gw.port, R"({"verbose":false})"));
  group.brokerA.kill9();
  EXPECT_TRUE(c.waitClosed(5s));
  EXPECT_EQ(group.stat("closes_hold_expired"), 1u) << group.relayStats().dump();
}

TEST(GatewayReplay, ClosesANonceSignedConnect) {
  FtGroup group;
  ASSERT_TRUE(group.start(/*startB=*/true)) << group.gw.process.log();
  RawClient c;
  ASSERT_TRUE(rawConnect(c, group.gw.port,
                         R"({"verbose":false,"nkey":"UABC","sig":"c2lnbmVk","protocol":1})"));
  group.brokerA.kill9();
  EXPECT_TRUE(c.waitClosed(5s));
  EXPECT_EQ(group.stat("closes_nonce_signed"), 1u) << group.relayStats().dump();
}

// A subscriber that stops reading while 64 MB are published to it, the broker's max_pending
// being `maxPending`. The broker cuts the connection as a slow consumer (it sends no -ERR). A
// direct client would be closed; through ftgate the client must be closed too, not moved to the
// same broker with a silent gap in its messages (and cut again, and again). Returns /varz relay.
nlohmann::json subscriberCutByTheBroker(const std::string& maxPending) {
  const std::string dir = makeTempDir("ftgate-slowcut");
  BackendUnderTest a{"a", freePort(), freePort()};
  writeFile(dir + "/a.conf", "max_pending: " + maxPending + "\n");
  ChildProcess broker =
      ChildProcess::start(binPath("ftbroker"),
                          {"-c", dir + "/a.conf", "-a", "127.0.0.1", "-p", std::to_string(a.port),
                           "-m", std::to_string(a.httpPort)},
                          dir + "/ftbroker.log");
  GatewayUnderTest gw = startGateway(dir, {a});
  EXPECT_TRUE(waitFor([&] { return httpGet(gw.httpPort, "/healthz") == 200; }, 10s))
      << gw.process.log() << broker.log();

  RawClient sub;
  EXPECT_TRUE(rawConnect(sub, gw.port, R"({"verbose":false})"));
  EXPECT_TRUE(sub.send("SUB big 1\r\nPING\r\n") && sub.expect("PONG\r\n"));
  RawClient pub;
  EXPECT_TRUE(rawConnect(pub, a.port, R"({"verbose":false})"));  // straight to the broker
  // Large frames: the broker stalls a publisher (up to 1 s at a time) while the subscriber is
  // behind, so the cut comes sooner when each read adds much to its queue.
  const std::string frame = "PUB big 524288\r\n" + std::string(524288, 'x') + "\r\n";
  for (int i = 0; i < 128 && pub.send(frame); ++i) {
  }

  EXPECT_TRUE(sub.waitClosed(30s)) << gw.process.log();
  EXPECT_NE(broker.log().find("Slow Consumer"), std::string::npos) << broker.log();
  nlohmann::json relay = getJsonFrom(gw.httpPort, "/varz")["relay"];
  gw.process.signal(SIGTERM);
  (void)gw.process.wait(5s);
  removeTree(dir);
  return relay;
}

// max_pending below one read burst: the broker cuts ftgate's connection while ftgate keeps up.
TEST(GatewayReplay, ClosesTheClientABrokerCutInABurst) {
  const nlohmann::json relay = subscriberCutByTheBroker("256KB");
  EXPECT_EQ(relay["closes_backend_cut_client"], 1u) << relay.dump();
  EXPECT_EQ(relay["sessions_migrated"], 0u) << relay.dump();
}

// A larger max_pending: ftgate first stops reading the broker for the client that does not read
// (backpressure), and the broker's queue to ftgate grows until the cut.
TEST(GatewayReplay, ClosesTheClientABrokerCutBehindBackpressure) {
  const nlohmann::json relay = subscriberCutByTheBroker("2MB");
  EXPECT_EQ(relay["closes_backend_cut_client"], 1u) << relay.dump();
  EXPECT_EQ(relay["sessions_migrated"], 0u) << relay.dump();
  EXPECT_GE(relay["backpressure_pauses"], 1u) << relay.dump();
}

}  // namespace
}  // namespace ftgate::testing
