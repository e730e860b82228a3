// The gateway's edge, seen from outside: /healthz follows the FT group (503 while no broker
// serves, 200 again once one is back), and a message over the gateway's max_payload is refused
// at the gateway — the INFO advertises the smaller ceiling, the PUB gets -ERR and a close, and
// no subscriber ever receives it.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/e2e/e2e_support.h"

namespace ftgate::testing::e2e {
namespace {

TEST(GatewayHealth, BothBrokersDownIs503AndOneBackIs200) {
  const std::string dir = makeTempDir("ftgate-e2e-health");
  FtGroup group(dir);
  ASSERT_TRUE(group.start()) << group.logs();
  Gateway gateway(dir, group.members(), "ft { dir: \"" + group.storeDir() + "\" }");
  ASSERT_TRUE(gateway.waitHealthy("a")) << gateway.log();

  group.kill9(0);
  group.kill9(1);
  int status = 0;
  nlohmann::json health;
  ASSERT_TRUE(waitFor(
      [&] {
        health = gateway.getJson("/healthz", &status);
        return status == 503;
      },
      5s))
      << gateway.log();
  EXPECT_TRUE(health.is_object()) << "503 carries a JSON reason";
  ASSERT_TRUE(group.startMember(1)) << group.logs();
  ASSERT_TRUE(gateway.waitHealthy("b")) << gateway.log() << group.logs();
  NatsConnectionPtr client = connectClient(gateway.url());
  ASSERT_TRUE(client) << gateway.log();
  natsMsg* answer = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&answer, client.get(), "nobody", "x", 2000),
            NATS_NO_RESPONDERS)
      << "a round trip to the broker that came back";
  if (answer != nullptr) natsMsg_Destroy(answer);
  client.reset();
  removeTree(dir);
}

TEST(GatewayEdge, OversizedPublishIsRefusedAtTheGateway) {
  const std::string dir = makeTempDir("ftgate-e2e-maxpayload");
  FtGroup group(dir);
  ASSERT_TRUE(group.start()) << group.logs();
  // ftbroker's own max_payload is 1MB; the gateway's ceiling is 1KB.
  Gateway gateway(dir, group.members(),
                  "ft { dir: \"" + group.storeDir() + "\" }\nmax_payload: 1KB");
  ASSERT_TRUE(gateway.waitHealthy("a")) << gateway.log();

  RawClient direct;
  nlohmann::json brokerInfo;
  ASSERT_TRUE(rawHandshake(direct, group.members()[0].port, &brokerInfo));
  ASSERT_GT(brokerInfo.value("max_payload", 0), 1024) << brokerInfo.dump();

  RawClient subscriber;
  ASSERT_TRUE(rawHandshake(subscriber, gateway.port()));
  ASSERT_TRUE(subscriber.send("SUB big 1\r\nPING\r\n"));
  ASSERT_TRUE(subscriber.expect("PONG\r\n"));

  RawClient publisher;
  nlohmann::json info;
  ASSERT_TRUE(rawHandshake(publisher, gateway.port(), &info));
  EXPECT_EQ(info["max_payload"], 1024) << info.dump();
  const std::string payload(1500, 'x');
  ASSERT_TRUE(publisher.send("PUB big 1500\r\n" + payload + "\r\n"));
  EXPECT_TRUE(publisher.expect("-ERR 'Maximum Payload Violation'\r\n")) << publisher.pending();
  EXPECT_TRUE(publisher.waitClosed());

  // A message under the ceiling, published after the refused one, is the first the subscriber
  // gets: the oversized one never reached the broker.
  RawClient second;
  ASSERT_TRUE(rawHandshake(second, gateway.port()));
  ASSERT_TRUE(second.send("PUB big 5\r\nsmall\r\nPING\r\n"));
  ASSERT_TRUE(second.expect("PONG\r\n"));
  std::string line;
  ASSERT_TRUE(subscriber.readLine(line)) << subscriber.pending();
  EXPECT_EQ(line, "MSG big 1 5");
  ASSERT_TRUE(subscriber.readLine(line));
  EXPECT_EQ(line, "small");
  removeTree(dir);
}

}  // namespace
}  // namespace ftgate::testing::e2e
