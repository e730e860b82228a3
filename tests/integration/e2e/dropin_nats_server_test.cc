// The drop-in case: ftgate with no FT directory in front of two Debian nats-server instances
// routed together. Their INFO carries connect_urls; a client of the gateway never sees them,
// and when the first server dies the same URL serves the client through the second.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/e2e/e2e_support.h"

namespace ftgate::testing::e2e {
namespace {

TEST(DropInNatsServers, NoConnectUrlsAndKillingTheFirstMovesTraffic) {
  const std::string dir = makeTempDir("ftgate-e2e-dropin");
  RoutedNatsServers servers(dir);
  ASSERT_TRUE(servers.start()) << servers.logs();

  // The servers themselves advertise each other to their clients.
  RawClient direct;
  ASSERT_TRUE(direct.connect(servers.members()[0].port));
  const nlohmann::json directInfo = readInfo(direct);
  ASSERT_TRUE(directInfo.contains("connect_urls")) << directInfo.dump();

  Gateway gateway(dir, servers.members());
  ASSERT_TRUE(gateway.waitHealthy("n1")) << gateway.log();

  RawClient raw;
  nlohmann::json info;
  ASSERT_TRUE(rawHandshake(raw, gateway.port(), &info, "{\"protocol\":1}"));
  EXPECT_FALSE(info.contains("connect_urls")) << info.dump();
  EXPECT_EQ(info["port"], gateway.port());
  for (const BrokerAddress& s : servers.members())
    EXPECT_EQ(info.dump().find(std::to_string(s.port)), std::string::npos) << info.dump();

  NatsConnectionPtr client = connectClient(gateway.url(), /*reconnect=*/true);
  ASSERT_TRUE(client) << gateway.log();
  char** discovered = nullptr;
  int count = -1;
  ASSERT_EQ(natsConnection_GetDiscoveredServers(client.get(), &discovered, &count), NATS_OK);
  EXPECT_EQ(count, 0);
  for (int i = 0; i < count; ++i) free(discovered[i]);
  free(discovered);

  natsSubscription* rawSub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&rawSub, client.get(), "ticks"), NATS_OK);
  NatsSubscriptionPtr ticks(rawSub);
  ASSERT_EQ(natsConnection_Flush(client.get()), NATS_OK);

  servers.kill9(0);
  ASSERT_TRUE(gateway.waitHealthy("n2")) << gateway.log();
  // Served again through the same URL: its own subscription gets its own publish.
  ASSERT_TRUE(waitFor(
      [&] {
        if (natsConnection_PublishString(client.get(), "ticks", "t") != NATS_OK) return false;
        natsMsg* m = nullptr;
        if (natsSubscription_NextMsg(&m, ticks.get(), 100) != NATS_OK) return false;
        natsMsg_Destroy(m);
        return true;
      },
      10s))
      << gateway.log();
  char url[256] = {0};
  ASSERT_EQ(natsConnection_GetConnectedUrl(client.get(), url, sizeof(url)), NATS_OK);
  EXPECT_EQ(std::string(url), gateway.url());
  // Still nothing discovered: async INFOs from the second server were rewritten too.
  ASSERT_EQ(natsConnection_GetDiscoveredServers(client.get(), &discovered, &count), NATS_OK);
  EXPECT_EQ(count, 0);
  for (int i = 0; i < count; ++i) free(discovered[i]);
  free(discovered);

  ticks.reset();
  client.reset();
  removeTree(dir);
}

// nats-server tells its protocol-1 clients about a new route member with an async INFO carrying
// connect_urls; through the gateway that INFO arrives rewritten, so nothing is discovered.
TEST(DropInNatsServers, AsyncInfoFromANewRouteMemberIsRewrittenToo) {
  const std::string dir = makeTempDir("ftgate-e2e-dropin-async");
  RoutedNatsServers servers(dir);
  ASSERT_TRUE(servers.startServer(0)) << servers.logs();
  Gateway gateway(dir, servers.members());
  ASSERT_TRUE(gateway.waitHealthy("n1")) << gateway.log();

  // A direct client of n1 as the control: it does learn about n2.
  NatsConnectionPtr direct =
      connectClient("nats://127.0.0.1:" + std::to_string(servers.members()[0].port));
  NatsConnectionPtr client = connectClient(gateway.url());
  ASSERT_TRUE(direct && client) << gateway.log();

  ASSERT_TRUE(servers.startServer(1)) << servers.logs();
  ASSERT_TRUE(servers.waitRouted()) << servers.logs();
  auto discoveredCount = [](natsConnection* nc) {
    char** urls = nullptr;
    int count = -1;
    if (natsConnection_GetDiscoveredServers(nc, &urls, &count) != NATS_OK) return -1;
    for (int i = 0; i < count; ++i) free(urls[i]);
    free(urls);
    return count;
  };
  ASSERT_TRUE(waitFor([&] { return discoveredCount(direct.get()) >= 1; }, 5s))
      << "nats-server sent no async INFO with connect_urls; the control case failed";
  // The gateway's client got the same async INFO (relayed after the direct one, at most a
  // round trip later): a flush makes sure it has been read.
  ASSERT_EQ(natsConnection_Flush(client.get()), NATS_OK);
  EXPECT_EQ(discoveredCount(client.get()), 0);

  direct.reset();
  client.reset();
  removeTree(dir);
}

}  // namespace
}  // namespace ftgate::testing::e2e
