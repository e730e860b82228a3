// ftgate's tracker in front of a real FT group: two ftbrokers on one store directory. The
// gateway names the active; after kill -9 of the active it names the other, at a higher epoch,
// within about a second.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "tests/integration/gateway/control_support.h"

namespace ftgate::testing {
namespace {

ChildProcess startFtBroker(const BackendUnderTest& b, const std::string& storeDir,
                           const std::string& logDir) {
  return ChildProcess::start(
      binPath("ftbroker"),
      {"-a", "127.0.0.1", "-p", std::to_string(b.port), "-m", std::to_string(b.httpPort), "-n",
       b.name, "--store", "file", "--dir", storeDir, "--ft_group", "g", "--cid", "gw-cluster"},
      logDir + "/ftbroker-" + b.name + ".log");
}

TEST(GatewayControlFt, NamesTheActiveAndFollowsAFailover) {
  const std::string dir = makeTempDir("ftgate-ft");
  const std::string store = dir + "/store";
  BackendUnderTest a{"a", freePort(), freePort()};
  BackendUnderTest b{"b", freePort(), freePort()};

  ChildProcess brokerA = startFtBroker(a, store, dir);
  ASSERT_TRUE(waitFor([&] { return httpGet(a.httpPort, "/streaming/isFTActive") == 200; }, 10s))
      << brokerA.log();
  ChildProcess brokerB = startFtBroker(b, store, dir);
  ASSERT_TRUE(waitFor([&] { return httpGet(b.httpPort, "/healthz") != 0; }, 10s)) << brokerB.log();

  GatewayUnderTest gw = startGateway(dir, {a, b}, "ft { dir: \"" + store + "\" }\n");
  nlohmann::json health;
  auto healthIs = [&](const std::string& name) {
    int status = 0;
    health = getJsonFrom(gw.httpPort, "/healthz", &status);
    return status == 200 && health.is_object() && health.value("active", "") == name;
  };
  ASSERT_TRUE(waitFor([&] { return healthIs("a"); }, 5s)) << gw.process.log();
  const uint64_t epochA = health["epoch"].get<uint64_t>();
  nlohmann::json record =
      nlohmann::json::parse(readFile(store + "/.ft-owner.json"), nullptr, false);
  EXPECT_EQ(epochA, record.value("epoch", uint64_t{0}));  // the owner record's epoch

  // /healthz can name a before b's first probe has come back: wait for that probe.
  nlohmann::json backendz;
  EXPECT_TRUE(waitFor(
      [&] {
        backendz = getJsonFrom(gw.httpPort, "/backendz");
        return backendz.is_object() && backendz["backends"].size() == 2 &&
               backendz["backends"][1]["state"] == "standby";
      },
      5s))
      << backendz.dump();
  EXPECT_EQ(backendz["backends"][0]["state"], "active") << backendz.dump();
  EXPECT_NE(backendz["ft_status"].get<std::string>().find("owner record names a"),
            std::string::npos);

  const auto killedAt = Clock::now();
  brokerA.kill9();
  ASSERT_TRUE(waitFor([&] { return healthIs("b"); }, 5s, 5ms)) << gw.process.log();
  const auto tookMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt).count();
  EXPECT_GT(health["epoch"].get<uint64_t>(), epochA);
  EXPECT_LT(tookMs, 1500) << gw.process.log();
  nlohmann::json varz = getJsonFrom(gw.httpPort, "/varz");
  EXPECT_EQ(varz["failovers"], 1) << varz.dump();
  std::fprintf(stderr,
               "[ measure  ] kill -9 of the active -> /healthz names the new active: %lld ms "
               "(gateway's own detection: %s ms)\n",
               static_cast<long long>(tookMs), varz["last_failover_detection_ms"].dump().c_str());

  gw.process.signal(SIGTERM);
  EXPECT_EQ(gw.process.wait(5s), 0) << gw.process.log();
  brokerB.signal(SIGTERM);
  (void)brokerB.wait(5s);
  removeTree(dir);
}

TEST(GatewayControlFt, IgnoresAnOwnerRecordNamingAnUnknownServer) {
  const std::string dir = makeTempDir("ftgate-ft-unknown");
  const std::string store = dir + "/store";
  BackendUnderTest a{"a", freePort(), freePort()};
  BackendUnderTest b{"b", freePort(), freePort()};
  BackendUnderTest stranger{"stranger", freePort(), freePort()};
  ChildProcess brokerX = startFtBroker(stranger, store, dir);
  ASSERT_TRUE(
      waitFor([&] { return httpGet(stranger.httpPort, "/streaming/isFTActive") == 200; }, 10s))
      << brokerX.log();
  GatewayUnderTest gw = startGateway(dir, {a, b}, "ft { dir: \"" + store + "\" }\n");
  ASSERT_TRUE(waitFor(
      [&] {
        nlohmann::json backendz = getJsonFrom(gw.httpPort, "/backendz");
        return backendz.is_object() &&
               backendz.value("ft_status", "").find("unknown server") != std::string::npos;
      },
      5s))
      << gw.process.log();
  int status = 0;
  nlohmann::json health = getJsonFrom(gw.httpPort, "/healthz", &status);
  EXPECT_EQ(status, 503) << health.dump();
  gw.process.signal(SIGTERM);
  EXPECT_EQ(gw.process.wait(5s), 0);
  removeTree(dir);
}

}  // namespace
}  // namespace ftgate::testing
