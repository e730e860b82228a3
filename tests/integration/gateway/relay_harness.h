// Test harness for the relay: a GatewayServer on its own loop thread (port 0), a scripted
// UpstreamSelector, and real nats-server processes on free ports as backends. Tests talk to
// the gateway with blocking clients from the test thread; anything touching the gateway or
// the selector runs on the loop thread through onLoop().
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/net/event_loop.h"
#include "common/net/timer.h"
#include "gateway/gateway_server.h"
#include "gateway/options.h"
#include "gateway/upstream_selector.h"
#include "tests/integration/support/process.h"

namespace ftgate::gateway::testing {

// An UpstreamSelector whose answer the test sets; records the failures sessions report.
class ScriptedSelector final : public UpstreamSelector {
 public:
  std::optional<ActiveBackend> active() const override { return active_; }
  void reportDataPathFailure(size_t backend_index, std::string_view reason) override {
    failures.emplace_back(backend_index, std::string(reason));
  }
  size_t addObserver(ChangeCallback callback) override {
    observers_.emplace_back(nextToken_, std::move(callback));
    return nextToken_++;
  }
  void removeObserver(size_t token) override {
    std::erase_if(observers_, [token](const auto& o) { return o.first == token; });
  }
  // Changes the answer and tells the observers (on the loop thread).
  void set(std::optional<ActiveBackend> active) {
    active_ = std::move(active);
    auto observers = observers_;
    for (auto& [token, callback] : observers) callback(active_);
  }

  std::vector<std::pair<size_t, std::string>> failures;

 private:
  std::optional<ActiveBackend> active_;
  std::vector<std::pair<size_t, ChangeCallback>> observers_;
  size_t nextToken_ = 1;
};

// A nats-server child process on free ports (optionally with a cluster port and routes).
struct NatsServerProcess {
  int port = 0;
  int cluster_port = 0;
  ftgate::testing::ChildProcess process;
  // Starts and waits until it accepts connections. `routes` like "nats://127.0.0.1:P".
  bool start(bool with_cluster = false, const std::string& routes = "");
  [[nodiscard]] ActiveBackend asBackend(size_t index, const std::string& name,
                                        uint64_t epoch = 1) const;
};

class GatewayHarness {
 public:
  // Starts the loop thread and a GatewayServer with `options` (listen_port forced to 0).
  explicit GatewayHarness(GatewayOptions options,
                          std::optional<ActiveBackend> initial = std::nullopt);
  ~GatewayHarness();

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

  // Runs `work` on the loop thread and waits for it.
  void onLoop(const std::function<void()>& work);
  template <typename T>
  T read(const std::function<T()>& work) {
    T value{};
    onLoop([&] { value = work(); });
    return value;
  }
  void setActive(std::optional<ActiveBackend> active) {
    onLoop([&] { selector_.set(active); });
  }
  [[nodiscard]] RelayStats stats() {
    return read<RelayStats>([&] { return server_->stats(); });
  }
  [[nodiscard]] size_t reportedFailures() {
    return read<size_t>([&] { return selector_.failures.size(); });
  }
  GatewayServer& server() { return *server_; }  // loop thread only

 private:
  void runLoop();

  GatewayOptions options_;
  ScriptedSelector selector_;
  net::EventLoop loop_;
  std::unique_ptr<GatewayServer> server_;
  std::unique_ptr<net::Timer> pump_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  int port_ = 0;
};

}  // namespace ftgate::gateway::testing
