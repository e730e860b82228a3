// The relay end to end with raw-protocol clients: a GatewayServer in-process (port 0) in front
// of real nats-server processes, driven through a scripted selector.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/gateway/relay_harness.h"
#include "tests/integration/support/raw_client.h"

namespace ftgate::gateway::testing {
namespace {

using namespace std::chrono_literals;
using ftgate::testing::RawClient;
using ftgate::testing::waitFor;

nlohmann::json readInfo(RawClient& client) {
  std::string line;
  if (!client.readLine(line) || !line.starts_with("INFO ")) return nullptr;
  return nlohmann::json::parse(line.substr(5), nullptr, false);
}

// Connects, checks the INFO, sends CONNECT and waits for the PONG that confirms it.
bool handshake(RawClient& client, int port, const std::string& connect = R"({"verbose":false})") {
  if (!client.connect(port)) return false;
  if (readInfo(client).is_null()) return false;
  client.send("CONNECT " + connect + "\r\nPING\r\n");
  return client.expect("PONG\r\n");
}

class RelayRawTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(nats_.start()); }
  GatewayOptions options() {
    GatewayOptions o;
    o.connect_hold = 3000ms;
    return o;
  }
  NatsServerProcess nats_;
};

TEST_F(RelayRawTest, PubSubQueueAndHeadersFlowThroughTheGateway) {
  GatewayHarness gw(options(), nats_.asBackend(0, "a"));
  RawClient sub, pub;
  ASSERT_TRUE(handshake(sub, gw.port(), R"({"verbose":false,"headers":true,"protocol":1})"));
  ASSERT_TRUE(handshake(pub, gw.port(), R"({"verbose":false,"headers":true})"));
  sub.send("SUB foo 1\r\nSUB q.* workers 2\r\nPING\r\n");
  ASSERT_TRUE(sub.expect("PONG\r\n"));

  pub.send(
      "PUB foo reply.1 5\r\nhello\r\nHPUB foo 19 21\r\nNATS/1.0\r\nK: V1\r\n\r\nhi\r\n"
      "PUB q.x 3\r\nabc\r\nPING\r\n");
  ASSERT_TRUE(pub.expect("PONG\r\n"));
  EXPECT_TRUE(sub.expect("MSG foo 1 reply.1 5\r\nhello\r\n"));
  EXPECT_TRUE(sub.expect("HMSG foo 1 19 21\r\nNATS/1.0\r\nK: V1\r\n\r\nhi\r\n"));
  EXPECT_TRUE(sub.expect("MSG q.x 2 3\r\nabc\r\n"));

  const RelayStats stats = gw.stats();
  EXPECT_EQ(stats.sessions_now, 2u);
  EXPECT_GE(stats.msgs_client_to_backend, 3u);
  EXPECT_GE(stats.msgs_backend_to_client, 3u);
  EXPECT_GT(stats.bytes_client_to_backend, 0u);
  const auto rows = gw.read<std::vector<SessionSnapshot>>([&] { return gw.server().sessions(); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].backend_name, "a");
  EXPECT_EQ(rows[0].client_ip, "127.0.0.1");
}

// Payloads far over the 64 KB read buffer are relayed by reference (no copy) in both
// directions; a subscriber that starts reading late makes those references wait in the write
// queue while new reads arrive. Every byte must come through intact and in order.
TEST_F(RelayRawTest, LargePayloadsArriveIntactThroughALateReader) {
  GatewayHarness gw(options(), nats_.asBackend(0, "a"));
  RawClient sub, pub;
  ASSERT_TRUE(handshake(sub, gw.port()));
  ASSERT_TRUE(handshake(pub, gw.port()));
  sub.send("SUB big 1\r\nPING\r\n");
  ASSERT_TRUE(sub.expect("PONG\r\n"));

  constexpr int kMessages = 40;
  constexpr size_t kSize = 300 * 1024;
  auto payload = [](int n) {
    std::string p(kSize, static_cast<char>('a' + n % 26));
    p.replace(0, std::to_string(n).size(), std::to_string(n));  // distinct heads too
    return p;
  };
  std::string burst;
  for (int n = 0; n < kMessages; ++n) {
    burst += "PUB big " + std::to_string(kSize) + "\r\n" + payload(n) + "\r\n";
  }
  ASSERT_TRUE(pub.send(burst + "PING\r\n"));
  ASSERT_TRUE(pub.expect("PONG\r\n", std::chrono::seconds(30)));
  for (int n = 0; n < kMessages; ++n) {
    ASSERT_TRUE(sub.expect("MSG big 1 " + std::to_string(kSize) + "\r\n" + payload(n) + "\r\n",
                           std::chrono::seconds(30)))
        << "message " << n;
  }
}

TEST_F(RelayRawTest, InfoShowsTheGatewayNotTheBackend) {
  GatewayHarness gw(options(), nats_.asBackend(0, "a"));
  RawClient client;
  ASSERT_TRUE(client.connect(gw.port()));
  const nlohmann::json info = readInfo(client);
  ASSERT_FALSE(info.is_null());
  EXPECT_EQ(info["port"], gw.port());
  EXPECT_EQ(info["host"], "127.0.0.1");
  EXPECT_FALSE(info.contains("connect_urls"));
  EXPECT_EQ(info.dump().find(std::to_string(nats_.port)), std::string::npos) << info.dump();
}

TEST(RelayClusterTest, ConnectUrlsOfARoutedBackendAreRemoved) {
  NatsServerProcess a, b;
  ASSERT_TRUE(a.start(/*with_cluster=*/true));
  // b solicits the route: start it once a's route listener is up, so the first attempt counts.
  ASSERT_TRUE(waitFor([&] { return ftgate::testing::portAccepts(a.cluster_port); }, 10s));
  ASSERT_TRUE(b.start(true, "nats://127.0.0.1:" + std::to_string(a.cluster_port)));
  // Only once the route is up does the backend's own INFO carry connect_urls.
  ASSERT_TRUE(waitFor(
      [&] {
        RawClient direct;
        if (!direct.connect(a.port)) return false;
        const nlohmann::json info = readInfo(direct);
        return !info.is_null() && info.contains("connect_urls") && info["connect_urls"].size() >= 2;
      },
      30s, 100ms))
      << "the two nats-servers never routed together\n--- a:\n"
      << a.process.log() << "\n--- b:\n"
      << b.process.log();

  GatewayOptions o;
  GatewayHarness gw(o, a.asBackend(0, "a"));
  RawClient client;
  ASSERT_TRUE(client.connect(gw.port()));
  const nlohmann::json info = readInfo(client);
  ASSERT_FALSE(info.is_null());
  EXPECT_FALSE(info.contains("connect_urls")) << info.dump();
  EXPECT_EQ(info["port"], gw.port());
  const std::string text = info.dump();
  EXPECT_EQ(text.find(std::to_string(a.port)), std::string::npos) << text;
  EXPECT_EQ(text.find(std::to_string(b.port)), std::string::npos) << text;
}

TEST_F(RelayRawTest, OversizedPubIsRefusedAtTheEdgeAndNeverDelivered) {
  GatewayOptions o = options();
  o.max_payload = 1024;
  GatewayHarness gw(o, nats_.asBackend(0, "a"));
  RawClient sub, pub;
  ASSERT_TRUE(handshake(sub, gw.port()));
  sub.send("SUB big 1\r\nPING\r\n");
  ASSERT_TRUE(sub.expect("PONG\r\n"));

  ASSERT_TRUE(pub.connect(gw.port()));
  const nlohmann::json info = readInfo(pub);
  EXPECT_EQ(info["max_payload"], 1024);
  pub.send("CONNECT {\"verbose\":false}\r\nPUB big 2000\r\n" + std::string(2000, 'x') + "\r\n");
  EXPECT_TRUE(pub.expect("-ERR 'Maximum Payload Violation'\r\n"));
  EXPECT_TRUE(pub.waitClosed());

  // The subscriber's PONG comes after anything published before it: no MSG arrived.
  sub.send("PING\r\n");
  std::string before;
  ASSERT_TRUE(sub.expect("PONG\r\n", 5s, &before));
  EXPECT_EQ(before.find("MSG"), std::string::npos) << before;
  EXPECT_EQ(gw.stats().closesFor(CloseReason::MaxPayload), 1u);
}

TEST_F(RelayRawTest, MalformedFrameGetsUnknownProtocolOperation) {
  GatewayHarness gw(options(), nats_.asBackend(0, "a"));
  RawClient client;
  ASSERT_TRUE(handshake(client, gw.port()));
  client.send("PUB foo 3\r\nabc\r\nBOGUS frame\r\n");
  EXPECT_TRUE(client.expect("-ERR 'Unknown Protocol Operation'\r\n")) << client.pending();
  EXPECT_TRUE(client.waitClosed());
  EXPECT_EQ(gw.stats().closesFor(CloseReason::ProtocolError), 1u);
}

TEST_F(RelayRawTest, BackendKilledClosesTheClientPromptlyAndIsReported) {
  GatewayOptions o = options();
  o.failover.mode = FailoverOptions::Mode::Close;  // this test is about close mode
  GatewayHarness gw(o, nats_.asBackend(0, "a"));
  RawClient client;
  ASSERT_TRUE(handshake(client, gw.port()));
  nats_.process.kill9();
  EXPECT_TRUE(client.waitClosed(2s));
  EXPECT_TRUE(waitFor([&] { return gw.reportedFailures() >= 1; }, 2s));
  const RelayStats stats = gw.stats();
  EXPECT_EQ(
      stats.closesFor(CloseReason::BackendClosed) + stats.closesFor(CloseReason::BackendFailed),
      1u);
}

TEST_F(RelayRawTest, ActiveChangeClosesTheClientSoItReconnectsToTheNewActive) {
  NatsServerProcess other;
  ASSERT_TRUE(other.start());
  GatewayOptions o = options();
  o.failover.mode = FailoverOptions::Mode::Close;  // this test is about close mode
  GatewayHarness gw(o, nats_.asBackend(0, "a"));
  RawClient client;
  ASSERT_TRUE(handshake(client, gw.port()));
  gw.setActive(other.asBackend(1, "b", 2));
  EXPECT_TRUE(client.waitClosed(2s));
  EXPECT_EQ(gw.stats().closesFor(CloseReason::ActiveChanged), 1u);
  RawClient again;
  ASSERT_TRUE(handshake(again, gw.port()));
  const auto rows = gw.read<std::vector<SessionSnapshot>>([&] { return gw.server().sessions(); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].backend_name, "b");
}

TEST_F(RelayRawTest, ClientIsHeldWithoutActiveThenServedWhenOneIsNamed) {
  GatewayHarness gw(options());
  RawClient client;
  ASSERT_TRUE(client.connect(gw.port()));
  ASSERT_TRUE(waitFor([&] { return gw.stats().held_sessions == 1; }, 2s));
  std::string line;
  EXPECT_FALSE(client.readLine(line, 100ms));  // nothing while held
  gw.setActive(nats_.asBackend(0, "a"));
  const nlohmann::json info = readInfo(client);
  ASSERT_FALSE(info.is_null());
  client.send("CONNECT {\"verbose\":false}\r\nPING\r\n");
  EXPECT_TRUE(client.expect("PONG\r\n"));
}

TEST_F(RelayRawTest, HoldTimeoutClosesTheClient) {
  GatewayOptions o = options();
  o.connect_hold = 300ms;
  GatewayHarness gw(o);
  RawClient client;
  ASSERT_TRUE(client.connect(gw.port()));
  EXPECT_TRUE(client.waitClosed(3s));
  EXPECT_EQ(gw.stats().closesFor(CloseReason::NoBackend), 1u);
}

TEST_F(RelayRawTest, RefusedBackendIsReportedAndTheNextActiveIsUsed) {
  GatewayHarness gw(
      options(),
      ActiveBackend{0, "dead", "127.0.0.1", static_cast<uint16_t>(ftgate::testing::freePort()), 1});
  RawClient client;
  ASSERT_TRUE(client.connect(gw.port()));
  ASSERT_TRUE(waitFor([&] { return gw.reportedFailures() >= 1; }, 2s));
  gw.setActive(nats_.asBackend(1, "a", 2));
  ASSERT_FALSE(readInfo(client).is_null());
  EXPECT_GE(gw.stats().backend_connect_failures, 1u);
}

TEST_F(RelayRawTest, MaxConnectionsRefusesTheExtraClient) {
  GatewayOptions o = options();
  o.max_connections = 1;
  GatewayHarness gw(o, nats_.asBackend(0, "a"));
  RawClient first, second;
  ASSERT_TRUE(handshake(first, gw.port()));
  ASSERT_TRUE(second.connect(gw.port()));
  EXPECT_TRUE(second.expect("-ERR 'maximum connections exceeded'\r\n"));
  EXPECT_TRUE(second.waitClosed());
  EXPECT_EQ(gw.stats().closesFor(CloseReason::MaxConnections), 1u);
  first.send("PING\r\n");
  EXPECT_TRUE(first.expect("PONG\r\n"));
}

TEST_F(RelayRawTest, LameDuckTellsProtocolOneClientsThenClosesAndReportsDone) {
  GatewayHarness gw(options(), nats_.asBackend(0, "a"));
  RawClient client;
  ASSERT_TRUE(handshake(client, gw.port(), R"({"verbose":false,"protocol":1})"));
  std::atomic<bool> done{false};
  gw.onLoop([&] { gw.server().beginLameDuck(300ms, [&] { done = true; }); });
  std::string line;
  ASSERT_TRUE(client.readLine(line));
  ASSERT_TRUE(line.starts_with("INFO ")) << line;
  const auto info = nlohmann::json::parse(line.substr(5));
  EXPECT_EQ(info["ldm"], true);
  EXPECT_FALSE(info.contains("connect_urls"));
  EXPECT_TRUE(client.waitClosed(3s));
  EXPECT_TRUE(waitFor([&] { return done.load(); }, 3s));
  RawClient late;
  EXPECT_FALSE(late.connect(gw.port(), 500ms) && readInfo(late).is_object());
}

}  // namespace
}  // namespace ftgate::gateway::testing
