// Shared by the session replay integration tests: two real ftbrokers in one FT group (file
// store on a temporary directory; a active, b standby) and the real ftgate in front, all on
// free ports.
#pragma once

#include <signal.h>

#include <cstdint>
#include <string>

#include "tests/integration/gateway/control_support.h"

namespace ftgate::testing {

inline ChildProcess startReplayBroker(const BackendUnderTest& b, const std::string& store,
                                      const std::string& logDir) {
  return ChildProcess::start(
      binPath("ftbroker"),
      {"-a", "127.0.0.1", "-p", std::to_string(b.port), "-m", std::to_string(b.httpPort), "-n",
       b.name, "--store", "file", "--dir", store, "--ft_group", "g"},
      logDir + "/ftbroker-" + b.name + ".log");
}

struct FtGroup {
  std::string dir = makeTempDir("ftgate-replay");
  std::string store = dir + "/store";
  BackendUnderTest a{"a", freePort(), freePort()};
  BackendUnderTest b{"b", freePort(), freePort()};
  ChildProcess brokerA, brokerB;
  GatewayUnderTest gw;

  // `startB`: also start b as a standby. `failover`: a `failover { }` block, or empty.
  bool start(bool startB, const std::string& failover = "") {
    brokerA = startReplayBroker(a, store, dir);
    if (!waitFor([&] { return httpGet(a.httpPort, "/streaming/isFTActive") == 200; }, 10s))
      return false;
    if (startB) {
      brokerB = startReplayBroker(b, store, dir);
      if (!waitFor([&] { return httpGet(b.httpPort, "/healthz") != 0; }, 10s)) return false;
    }
    gw = startGateway(dir, {a, b}, "ft { dir: \"" + store + "\" }\n" + failover);
    return waitFor([&] { return activeName() == "a"; }, 5s);
  }
  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(gw.port); }
  std::string activeName() {
    int status = 0;
    nlohmann::json health = getJsonFrom(gw.httpPort, "/healthz", &status);
    return status == 200 && health.is_object() ? health.value("active", "") : "";
  }
  nlohmann::json relayStats() {
    nlohmann::json varz = getJsonFrom(gw.httpPort, "/varz");
    return varz.is_object() ? varz["relay"] : nlohmann::json();
  }
  uint64_t stat(const std::string& name) {
    nlohmann::json relay = relayStats();
    return relay.is_object() ? relay.value(name, uint64_t{0}) : 0;
  }
  ~FtGroup() {
    gw.process.signal(SIGTERM);
    (void)gw.process.wait(5s);
    removeTree(dir);
  }
};

}  // namespace ftgate::testing
