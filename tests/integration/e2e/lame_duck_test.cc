// SIGTERM of the ftgate binary with a protocol-1 client connected: the client is told the
// gateway is going away (async INFO with "ldm":true), is then closed, and ftgate exits 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "tests/integration/e2e/e2e_support.h"

namespace ftgate::testing::e2e {
namespace {

TEST(GatewayLameDuck, SigtermTellsProtocolOneClientsThenClosesAndExitsZero) {
  const std::string dir = makeTempDir("ftgate-e2e-ldm");
  FtGroup group(dir);
  ASSERT_TRUE(group.start()) << group.logs();
  Gateway gateway(dir, group.members(), "ft { dir: \"" + group.storeDir() + "\" }");
  ASSERT_TRUE(gateway.waitHealthy("a")) << gateway.log();

  RawClient client;
  ASSERT_TRUE(rawHandshake(client, gateway.port(), nullptr, "{\"protocol\":1,\"verbose\":false}"));

  gateway.process().signal(SIGTERM);
  std::string line;
  bool sawLameDuck = false;
  while (!sawLameDuck && client.readLine(line, 5s)) {
    if (line.starts_with("INFO ")) {
      const nlohmann::json info = nlohmann::json::parse(line.substr(5), nullptr, false);
      sawLameDuck = info.is_object() && info.value("ldm", false);
    }
  }
  EXPECT_TRUE(sawLameDuck) << gateway.log();
  EXPECT_TRUE(client.waitClosed(5s)) << gateway.log();
  EXPECT_EQ(gateway.process().wait(5s), 0) << gateway.log();
  removeTree(dir);
}

}  // namespace
}  // namespace ftgate::testing::e2e
