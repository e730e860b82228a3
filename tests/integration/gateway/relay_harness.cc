#include "tests/integration/gateway/relay_harness.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace ftgate::gateway::testing {

using namespace std::chrono_literals;
using ftgate::testing::ChildProcess;
using ftgate::testing::freePort;
using ftgate::testing::portAccepts;
using ftgate::testing::waitFor;

bool NatsServerProcess::start(bool with_cluster, const std::string& routes) {
  port = freePort();
  std::vector<std::string> args = {"-a", "127.0.0.1", "-p", std::to_string(port)};
  if (with_cluster) {
    cluster_port = freePort();
    args.insert(args.end(), {"--cluster_name", "relaytest", "--cluster",
                             "nats://127.0.0.1:" + std::to_string(cluster_port)});
    if (!routes.empty()) args.insert(args.end(), {"--routes", routes});
  }
  process = ChildProcess::start("nats-server", args);
  return waitFor([&] { return portAccepts(port); }, 10s);
}

ActiveBackend NatsServerProcess::asBackend(size_t index, const std::string& name,
                                           uint64_t epoch) const {
  return ActiveBackend{index, name, "127.0.0.1", static_cast<uint16_t>(port), epoch};
}

GatewayHarness::GatewayHarness(GatewayOptions options, std::optional<ActiveBackend> initial)
    : options_(std::move(options)) {
  options_.listen_host = "127.0.0.1";
  options_.listen_port = 0;
  selector_.set(initial);
  server_ = std::make_unique<GatewayServer>(loop_, options_, selector_);
  if (server_->start() != 0) throw std::runtime_error("gateway did not start");
  port_ = server_->port();
  // Wakes the loop regularly so work posted from the test thread runs promptly.
  pump_ = std::make_unique<net::Timer>(loop_);
  pump_->startRepeating(2ms, [this] {
    std::deque<std::function<void()>> work;
    {
      std::lock_guard lock(mutex_);
      work.swap(queue_);
    }
    for (auto& item : work) item();
  });
  thread_ = std::thread([this] { runLoop(); });
}

GatewayHarness::~GatewayHarness() {
  onLoop([&] {
    server_.reset();
    pump_->close();
    stop_ = true;  // the loop thread returns after this iteration
  });
  thread_.join();
  // Let the closes finish, then the loop must close cleanly.
  loop_.runUntil([&] { return loop_.openHandleCount() == 0; }, 2000ms);
  if (loop_.close() != 0) spdlog::error("event loop did not close cleanly");
}

void GatewayHarness::runLoop() {
  while (!stop_) loop_.runOnce(true);
}

void GatewayHarness::onLoop(const std::function<void()>& work) {
  std::mutex doneMutex;
  std::condition_variable doneCv;
  bool done = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back([&] {
      work();
      std::lock_guard doneLock(doneMutex);
      done = true;
      doneCv.notify_all();
    });
  }
  std::unique_lock lock(doneMutex);
  doneCv.wait(lock, [&] { return done; });
}

}  // namespace ftgate::gateway::testing
