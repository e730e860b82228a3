// ftgate's /healthz and monitoring in front of plain nats-servers (Debian's nats-server, whose
// /healthz answers 200 and whose /streaming/isFTActive answers 404).
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "tests/integration/gateway/control_support.h"

namespace ftgate::testing {
namespace {

ChildProcess startNatsServer(const BackendUnderTest& b, const std::string& dir) {
  return ChildProcess::start(
      "/usr/sbin/nats-server",
      {"-a", "127.0.0.1", "-p", std::to_string(b.port), "-m", std::to_string(b.httpPort)},
      dir + "/nats-" + b.name + ".log");
}

int healthStatus(int port, nlohmann::json* body = nullptr) {
  int status = 0;
  nlohmann::json j = getJsonFrom(port, "/healthz", &status);
  if (body != nullptr) *body = j;
  return status;
}

TEST(GatewayHealth, FollowsPlainNatsServersUpAndDown) {
  const std::string dir = makeTempDir("ftgate-health");
  BackendUnderTest a{"a", freePort(), freePort()};
  BackendUnderTest b{"b", freePort(), freePort()};
  GatewayUnderTest gw = startGateway(dir, {a, b});
  ASSERT_TRUE(waitFor([&] { return httpGet(gw.httpPort, "/livez") == 200; }, 5s))
      << gw.process.log();

  // Both backends down: 503 with a reason, from cached state.
  ASSERT_TRUE(waitFor(
      [&] {
        nlohmann::json body;
        return healthStatus(gw.httpPort, &body) == 503 && body.is_object() &&
               body.value("status", "") == "error" &&
               body.value("error", "").rfind("no active backend", 0) == 0;
      },
      3s))
      << gw.process.log();

  // b comes up: it is the only healthy one.
  ChildProcess natsB = startNatsServer(b, dir);
  nlohmann::json health;
  ASSERT_TRUE(waitFor([&] { return healthStatus(gw.httpPort, &health) == 200; }, 5s))
      << gw.process.log();
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["active"], "b");
  const uint64_t epochB = health["epoch"].get<uint64_t>();

  // a comes up: the first healthy backend in list order wins, at a higher epoch.
  ChildProcess natsA = startNatsServer(a, dir);
  ASSERT_TRUE(waitFor(
      [&] { return healthStatus(gw.httpPort, &health) == 200 && health["active"] == "a"; }, 5s))
      << gw.process.log();
  EXPECT_GT(health["epoch"].get<uint64_t>(), epochB);

  nlohmann::json backendz = getJsonFrom(gw.httpPort, "/backendz");
  ASSERT_EQ(backendz["backends"].size(), 2u) << backendz.dump();
  EXPECT_EQ(backendz["active"], "a");
  for (const auto& backend : backendz["backends"]) {
    for (const char* key :
         {"name", "url", "monitor", "state", "last_probe", "consecutive_ok", "consecutive_fail"})
      EXPECT_TRUE(backend.contains(key)) << key << " in " << backend.dump();
    EXPECT_EQ(backend["last_probe"]["path"], "/healthz");  // isFTActive 404: plain nats-server
  }
  EXPECT_EQ(backendz["backends"][0]["state"], "active");
  EXPECT_EQ(backendz["backends"][1]["state"], "up");

  nlohmann::json varz = getJsonFrom(gw.httpPort, "/varz");
  for (const char* key : {"server_id", "version", "listen", "active", "epoch", "sessions",
                          "total_sessions", "in_bytes", "out_bytes", "failovers",
                          "last_failover_detection_ms", "uptime", "start", "now"})
    EXPECT_TRUE(varz.contains(key)) << key << " in " << varz.dump();
  EXPECT_EQ(varz["active"], "a");
  EXPECT_EQ(varz["failovers"], 1);
  EXPECT_EQ(varz["listen"], "127.0.0.1:" + std::to_string(gw.port));
  std::string metrics;
  EXPECT_EQ(httpGet(gw.httpPort, "/metrics", &metrics), 200);
  EXPECT_NE(metrics.find("ftgate_epoch "), std::string::npos);
  EXPECT_EQ(httpGet(gw.httpPort, "/connz"), 200);
  std::string page;
  EXPECT_EQ(httpGet(gw.httpPort, "/", &page), 200);
  EXPECT_NE(page.find("active: a"), std::string::npos) << page;

  // Both killed: 503 again.
  natsA.kill9();
  natsB.kill9();
  EXPECT_TRUE(waitFor([&] { return healthStatus(gw.httpPort) == 503; }, 3s)) << gw.process.log();

  // SIGTERM: lame duck, then exit 0.
  gw.process.signal(SIGTERM);
  EXPECT_EQ(gw.process.wait(5s), 0) << gw.process.log();
  removeTree(dir);
}

// A streaming server without an FT group answers isFTActive 204 like a standby; its serverz
// state STANDALONE says it serves clients. A standby of an FT group must not be taken for one.
TEST(GatewayHealth, FrontsAStandaloneStreamingBrokerButNotAStandby) {
  const std::string dir = makeTempDir("ftgate-standalone");
  BackendUnderTest solo{"solo", freePort(), freePort()};
  BackendUnderTest active{"active", freePort(), freePort()};
  BackendUnderTest standby{"standby", freePort(), freePort()};
  auto broker = [&](const BackendUnderTest& b, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "-a",    "127.0.0.1",   "-p", std::to_string(b.port), "-m", std::to_string(b.httpPort),
        "--cid", "solo-cluster"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ChildProcess::start(binPath("ftbroker"), args, dir + "/ftbroker-" + b.name + ".log");
  };
  ChildProcess soloBroker = broker(solo, {"--store", "memory"});
  GatewayUnderTest gw = startGateway(dir, {solo});
  nlohmann::json health;
  ASSERT_TRUE(waitFor([&] { return healthStatus(gw.httpPort, &health) == 200; }, 5s))
      << gw.process.log() << soloBroker.log();
  EXPECT_EQ(health["active"], "solo");
  nlohmann::json backendz = getJsonFrom(gw.httpPort, "/backendz");
  EXPECT_EQ(backendz["backends"][0]["last_probe"]["path"], "/streaming/serverz") << backendz;

  // An FT group's standby (the second member on one store) is never chosen, even listed first.
  const std::string store = dir + "/store";
  ChildProcess activeBroker =
      broker(active, {"--store", "file", "--dir", store, "--ft_group", "g"});
  ASSERT_TRUE(waitFor([&] { return httpGet(active.httpPort, "/streaming/isFTActive") == 200; }, 5s))
      << activeBroker.log();
  ChildProcess standbyBroker =
      broker(standby, {"--store", "file", "--dir", store, "--ft_group", "g"});
  const std::string dir2 = makeTempDir("ftgate-standby");
  GatewayUnderTest gw2 = startGateway(dir2, {standby, active});
  // Once the standby has answered its probes it is known as a standby, and still not chosen.
  ASSERT_TRUE(waitFor(
      [&] {
        backendz = getJsonFrom(gw2.httpPort, "/backendz");
        return backendz.is_object() && backendz["backends"][0]["state"] == "standby";
      },
      5s))
      << backendz << standbyBroker.log();
  EXPECT_EQ(healthStatus(gw2.httpPort, &health), 200) << health;
  EXPECT_EQ(health["active"], "active");
  removeTree(dir);
  removeTree(dir2);
}

TEST(GatewayHealth, CheckFlagValidatesWithoutStarting) {
  const std::string dir = makeTempDir("ftgate-check");
  writeFile(dir + "/bad.conf", "backends: [\n  { name: a, url: \"http://x\" }\n]\n");
  ChildProcess bad =
      ChildProcess::start(binPath("ftgate"), {"--check", "-c", dir + "/bad.conf"}, dir + "/o1");
  EXPECT_EQ(bad.wait(5s), 1);
  EXPECT_NE(bad.log().find(dir + "/bad.conf:2:19: expected a nats://host:port URL"),
            std::string::npos)
      << bad.log();
  writeFile(dir + "/good.conf",
            "backends: [{ name: a, url: \"nats://127.0.0.1:1\", monitor: \"http://h:2\" }]\n");
  ChildProcess good =
      ChildProcess::start(binPath("ftgate"), {"-check", "-c", dir + "/good.conf"}, dir + "/o2");
  EXPECT_EQ(good.wait(5s), 0) << good.log();
  EXPECT_NE(good.log().find("ok, 1 backend(s)"), std::string::npos);
  removeTree(dir);
}

}  // namespace
}  // namespace ftgate::testing
