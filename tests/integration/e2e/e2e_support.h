// End-to-end test support: the real ftgate binary on free ports in front of real brokers —
// an FT group of two ftbrokers on one store directory, or two Debian nats-server instances
// routed together — plus small RAII wrappers for the libnats objects the tests hold.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/support/process.h"
#include "tests/integration/support/raw_client.h"

namespace ftgate::testing::e2e {

// One broker the gateway fronts: its name in the gateway's config, client and monitor ports.
struct BrokerAddress {
  std::string name;
  int port = 0;
  int httpPort = 0;
};

// Two ftbrokers (a, b) in the FT group "g" on <dir>/store. `a` is started first and is the
// active once start() returns; `b` is its standby.
class FtGroup {
 public:
  explicit FtGroup(const std::string& dir);
  // Starts a, waits until it is active, then starts b and waits until it answers monitoring.
  [[nodiscard]] bool start();
  // Starts (or restarts) one member; true once its monitor answers.
  [[nodiscard]] bool startMember(size_t index);
  void kill9(size_t index) { processes_[index].kill9(); }
  void terminate(size_t index);
  // Index of the member whose /streaming/isFTActive answers 200, or -1.
  int activeIndex();
  const std::vector<BrokerAddress>& members() const { return members_; }
  const std::string& storeDir() const { return store_; }
  std::string logs() const;

 private:
  std::string dir_;
  std::string store_;
  std::vector<BrokerAddress> members_;
  std::vector<ChildProcess> processes_;
};

// Two Debian nats-server instances routed together (each INFO carries connect_urls).
class RoutedNatsServers {
 public:
  explicit RoutedNatsServers(const std::string& dir);
  // Starts both; true once each reports the route to the other on /routez.
  [[nodiscard]] bool start();
  // Starts one server; true once its monitor answers.
  [[nodiscard]] bool startServer(size_t index);
  // True once every running server reports a route on /routez.
  [[nodiscard]] bool waitRouted();
  void kill9(size_t index) { processes_[index].kill9(); }
  const std::vector<BrokerAddress>& members() const { return members_; }
  std::string logs() const;

 private:
  std::string dir_;
  std::vector<BrokerAddress> members_;
  std::vector<int> clusterPorts_;
  std::vector<ChildProcess> processes_;
};

// The ftgate binary on free ports, configured by a written config file.
class Gateway {
 public:
  // `extra` is appended to the config text (e.g. `ft { dir: "..." }`, `max_payload: 1KB`).
  Gateway(const std::string& dir, const std::vector<BrokerAddress>& backends,
          const std::string& extra = "");
  int port() const { return port_; }
  int httpPort() const { return httpPort_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  ChildProcess& process() { return process_; }
  // GET on the gateway's monitor: the parsed body (discarded when not JSON), status in *status.
  nlohmann::json getJson(const std::string& path, int* status = nullptr);
  // Waits until /healthz answers 200 naming `active` (any backend when empty).
  [[nodiscard]] bool waitHealthy(const std::string& active = "",
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string log() const { return process_.log(); }

 private:
  int port_ = 0;
  int httpPort_ = 0;
  ChildProcess process_;
};

// libnats objects released on scope exit.
struct ConnectionCloser {
  void operator()(natsConnection* nc) const {
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
  }
};
struct SubscriptionDestroyer {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
struct MessageDestroyer {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using NatsConnectionPtr = std::unique_ptr<natsConnection, ConnectionCloser>;
using NatsSubscriptionPtr = std::unique_ptr<natsSubscription, SubscriptionDestroyer>;
using NatsMsgPtr = std::unique_ptr<natsMsg, MessageDestroyer>;

// Connects to `url`. With `reconnect`, the client retries the same URL forever every 50 ms
// (what an application behind ftgate is configured to do). Null on failure.
NatsConnectionPtr connectClient(const std::string& url, bool reconnect = false);
// Reads the INFO line a raw client gets first; null JSON when none comes.
nlohmann::json readInfo(RawClient& client);
// Connects a raw client to `port`, reads its INFO (into *info when given), sends CONNECT with
// `connectJson` and PING, and waits for PONG. False on any step failing.
[[nodiscard]] bool rawHandshake(RawClient& client, int port, nlohmann::json* info = nullptr,
                                const std::string& connectJson = "{\"verbose\":false}");
// The payload of a message as a string.
std::string dataOf(natsMsg* msg);

}  // namespace ftgate::testing::e2e
