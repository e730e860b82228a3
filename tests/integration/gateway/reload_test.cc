// ftgate's SIGHUP, black-box: real standalone ftbrokers, the real ftgate with a config file, a
// raw-protocol client connected through it. After each reload the client is still connected
// and works: a lowered max_payload is enforced, a config with a syntax error is refused (its
// file:line:col logged, counted in /varz), and removing the active backend moves the client's
// session to the other one without a disconnect.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/support/process.h"
#include "tests/integration/support/raw_client.h"

namespace ftgate::testing {
namespace {

struct Broker {
  std::string name;
  int port = 0;
  int httpPort = 0;
  ChildProcess process;
};

nlohmann::json getJson(int port, const std::string& path) {
  std::string body;
  if (httpGet(port, path, &body) == 0) return nullptr;
  return nlohmann::json::parse(body, nullptr, false);
}

// Connections a broker serves right now (its /connz), -1 when it does not answer.
int brokerConnections(const Broker& b) {
  const nlohmann::json connz = getJson(b.httpPort, "/connz");
  return connz.is_object() ? connz.value("num_connections", -1) : -1;
}

class GatewayReload : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("ftgate-reload");
    for (const char* name : {"a", "b"}) {
      Broker& b = brokers_.emplace_back();
      b.name = name;
      b.port = freePort();
      b.httpPort = freePort();
      // Each the only member of its own FT group, so each answers isFTActive 200: two
      // independent actives, and the gateway's list order picks between them.
      b.process =
          ChildProcess::start(binPath("ftbroker"),
                              {"-a", "127.0.0.1", "-p", std::to_string(b.port), "-m",
                               std::to_string(b.httpPort), "-n", b.name, "--store", "file", "--dir",
                               dir_ + "/store-" + b.name, "--ft_group", "g-" + b.name},
                              dir_ + "/ftbroker-" + b.name + ".log");
    }
    for (Broker& b : brokers_)
      ASSERT_TRUE(waitFor([&] { return httpGet(b.httpPort, "/streaming/isFTActive") == 200; }, 10s))
          << b.process.log();
    port_ = freePort();
    httpPort_ = freePort();
    configPath_ = dir_ + "/gateway.conf";
    writeFile(configPath_, config({"a"}));
    gateway_ = ChildProcess::start(binPath("ftgate"), {"-c", configPath_}, dir_ + "/ftgate.log");
    ASSERT_TRUE(waitFor([&] { return activeIs("a"); }, 10s)) << gateway_.log();
    ASSERT_TRUE(client_.connect(port_));
    ASSERT_TRUE(client_.expect("\r\n"));  // INFO
    client_.send("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nSUB foo 1\r\n");
    ASSERT_TRUE(roundTrip("hello"));
  }

  void TearDown() override {
    client_.close();
    if (gateway_.running()) {
      gateway_.signal(SIGTERM);
      EXPECT_EQ(gateway_.wait(), 0) << gateway_.log();
    }
    removeTree(dir_);
  }

  // The gateway's config: `backends` by name, in that order, and `extra` lines.
  std::string config(const std::vector<std::string>& backends, const std::string& extra = "") {
    std::string text = "listen: \"127.0.0.1:" + std::to_string(port_) + "\"\n" +
                       "http: \"127.0.0.1:" + std::to_string(httpPort_) + "\"\n" +
                       "probe { interval: 100ms, timeout: 80ms, rise: 1, fall: 1 }\n" +
                       "lame_duck_duration: 1s\n" + extra + "backends: [\n";
    for (const std::string& name : backends) {
      for (const Broker& b : brokers_) {
        if (b.name != name) continue;
        text += "  { name: " + b.name + ", url: \"nats://127.0.0.1:" + std::to_string(b.port) +
                "\", monitor: \"http://127.0.0.1:" + std::to_string(b.httpPort) + "\" }\n";
      }
    }
    return text + "]\n";
  }

  // Writes `text` as the config file, sends SIGHUP and waits until /varz counted it.
  bool reloadWith(const std::string& text, const char* counter) {
    const uint64_t before = varzNumber(counter);
    writeFile(configPath_, text);
    gateway_.signal(SIGHUP);
    return waitFor([&] { return varzNumber(counter) == before + 1; }, 5s);
  }

  uint64_t varzNumber(const char* name) {
    const nlohmann::json varz = getJson(httpPort_, "/varz");
    return varz.is_object() && varz.contains(name) ? varz[name].get<uint64_t>() : 0;
  }

  bool activeIs(const std::string& name) {
    const nlohmann::json health = getJson(httpPort_, "/healthz");
    return health.is_object() && health.value("active", "") == name;
  }

  // The client publishes to its own subscription and gets the message back.
  bool roundTrip(const std::string& payload) {
    client_.send("PUB foo " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n");
    return client_.expect("MSG foo 1 " + std::to_string(payload.size()) + "\r\n" + payload +
                          "\r\n");
  }

  std::string dir_;
  std::vector<Broker> brokers_;
  int port_ = 0;
  int httpPort_ = 0;
  std::string configPath_;
  ChildProcess gateway_;
  RawClient client_;
};

TEST_F(GatewayReload, LoweredMaxPayloadIsEnforcedWithoutDroppingTheClient) {
  ASSERT_TRUE(reloadWith(config({"a"}, "max_payload: 64\n"), "reloads")) << gateway_.log();
  EXPECT_NE(gateway_.log().find("Configuration reloaded: max_payload 1048576 -> 64"),
            std::string::npos)
      << gateway_.log();
  ASSERT_TRUE(roundTrip("still here")) << "the client was dropped by the reload";

  // A new client is told the new limit and held to it.
  RawClient fresh;
  ASSERT_TRUE(fresh.connect(port_));
  std::string info;
  ASSERT_TRUE(fresh.readLine(info));
  EXPECT_NE(info.find("\"max_payload\":64"), std::string::npos) << info;
  fresh.send("CONNECT {\"verbose\":false}\r\nPUB foo 100\r\n" + std::string(100, 'x') + "\r\n");
  EXPECT_TRUE(fresh.expect("-ERR 'Maximum Payload Violation'\r\n"));

  // The client connected before the reload: its next oversized frame is refused too.
  client_.send("PUB foo 100\r\n" + std::string(100, 'x') + "\r\n");
  EXPECT_TRUE(client_.expect("-ERR 'Maximum Payload Violation'\r\n"));
}

TEST_F(GatewayReload, ConfigWithASyntaxErrorIsRefusedAndTheOldOneKept) {
  // Line 5 opens a block that never closes.
  std::string broken = config({"a"});
  broken.insert(broken.find("lame_duck_duration"), "failover {\n");
  ASSERT_TRUE(reloadWith(broken, "reload_failures")) << gateway_.log();
  const std::string log = gateway_.log();
  const std::regex positioned(configPath_ + ":[0-9]+:[0-9]+: ");
  EXPECT_TRUE(std::regex_search(log, positioned)) << log;
  EXPECT_NE(log.find("[ERR] Configuration reload refused"), std::string::npos) << log;
  EXPECT_EQ(varzNumber("reloads"), 0u);
  EXPECT_TRUE(activeIs("a"));
  EXPECT_TRUE(roundTrip("still served")) << log;

  // A good file afterwards applies again.
  ASSERT_TRUE(reloadWith(config({"a"}, "max_connections: 100\n"), "reloads")) << gateway_.log();
  EXPECT_EQ(varzNumber("reload_failures"), 1u);
}

TEST_F(GatewayReload, RemovingTheActiveBackendMovesTheSessionToTheOther) {
  ASSERT_TRUE(waitFor([&] { return brokerConnections(brokers_[0]) == 1; }, 5s));

  // Adding b behind a changes nothing for the client: a stays active, the session stays on it.
  ASSERT_TRUE(reloadWith(config({"a", "b"}), "reloads")) << gateway_.log();
  ASSERT_TRUE(waitFor(
      [&] {
        const nlohmann::json backendz = getJson(httpPort_, "/backendz");
        return backendz.is_object() && backendz["backends"].size() == 2 &&
               backendz["backends"][1]["state"] == "up";
      },
      5s))
      << gateway_.log();
  EXPECT_TRUE(activeIs("a"));
  EXPECT_TRUE(roundTrip("on a"));
  EXPECT_EQ(brokerConnections(brokers_[0]), 1);
  EXPECT_EQ(brokerConnections(brokers_[1]), 0);

  // Removing a: b becomes active and the session moves there, its subscription replayed.
  ASSERT_TRUE(reloadWith(config({"b"}), "reloads")) << gateway_.log();
  ASSERT_TRUE(waitFor([&] { return activeIs("b"); }, 5s)) << gateway_.log();
  ASSERT_TRUE(waitFor([&] { return brokerConnections(brokers_[1]) == 1; }, 5s)) << gateway_.log();
  EXPECT_TRUE(roundTrip("on b")) << gateway_.log();
  EXPECT_TRUE(waitFor([&] { return brokerConnections(brokers_[0]) == 0; }, 5s));
  const nlohmann::json varz = getJson(httpPort_, "/varz");
  EXPECT_EQ(varz["sessions"], 1) << varz.dump();
  EXPECT_EQ(varz["total_sessions"], 1) << "the client reconnected instead of migrating";
}

}  // namespace
}  // namespace ftgate::testing
