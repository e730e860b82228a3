// ftgate: parse options, set up logging, start tracking the active broker, open the client
// listener and the monitoring listener, run the loop. SIGTERM / SIGINT: lame duck (stop
// accepting, spread the closes of the sessions over lame_duck_duration — a tenth of it for
// SIGINT — then exit 0; a second signal exits at once). SIGHUP: reload the configuration
// (config_reload.h): the file and flags are read again as at start; a configuration that does
// not validate is refused and the running one kept.
// Exit statuses: 0 after a signal, 1 for bad options or a port that cannot be opened.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>

#include "common/log/log.h"
#include "common/net/address.h"
#include "common/net/event_loop.h"
#include "common/net/heap_retention.h"
#include "common/net/signal_watcher.h"
#include "gateway/active_tracker.h"
#include "gateway/config_reload.h"
#include "gateway/gateway_server.h"
#include "gateway/monitor.h"
#include "gateway/options_loader.h"

namespace {

using namespace ftgate;
using namespace ftgate::gateway;

// A random id in nats-server's server_id alphabet, 'G' for gateway.
std::string makeGatewayId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::random_device device;
  std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device() ^ ::getpid());
  std::string id = "G";
  while (id.size() < 40) id.push_back(kAlphabet[random() % 32]);
  return id;
}

// `options` is the one options object everything holds by reference; a reload updates it in
// place. `reloadOptions` reads the options again as at start.
int run(GatewayOptions& options, ConfigReloader::Loader reloadOptions) {
  const auto loadedAt = std::chrono::system_clock::now();
  spdlog::info("Starting ftgate version {}", FTGATE_VERSION);
  spdlog::info("Process id: {}", ::getpid());
  if (!options.config_file.empty())
    spdlog::info("Using configuration file: {}", options.config_file);
  for (const BackendOptions& b : options.backends)
    spdlog::info("Backend {}: {} (monitor {})", b.name, b.url,
                 b.monitor_url.empty() ? "none" : b.monitor_url);
  if (!options.ft_dir.empty())
    spdlog::info("Watching the FT group's store directory {}", options.ft_dir);
  spdlog::info("Probing every {}ms (timeout {}ms, rise {}, fall {})",
               options.probe.interval.count(), options.probe.timeout.count(), options.probe.rise,
               options.probe.fall);

  net::EventLoop loop;
  // Queues for slow consumers come and go in bursts: keep their pages between bursts.
  net::HeapRetention heapRetention(loop);
  auto tracker = std::make_unique<ActiveTracker>(loop, options);
  auto relay = std::make_unique<GatewayServer>(loop, options, *tracker);
  std::unique_ptr<Monitor> monitor;

  GatewayIdentity identity;
  identity.gateway_id = makeGatewayId();
  identity.version = FTGATE_VERSION;
  identity.start = std::chrono::system_clock::now();

  if (int rc = relay->start(); rc != 0) {
    spdlog::critical(
        "cannot listen for client connections on {}: {}",
        net::joinHostPort(options.listen_host, static_cast<uint16_t>(options.listen_port)),
        uv_strerror(rc));
    return 1;
  }
  identity.listen = net::joinHostPort(options.listen_host, relay->port());  // logged by start()

  if (options.http_port != 0) {
    monitor = std::make_unique<Monitor>(loop, identity, *tracker, relay.get());
    if (int rc = monitor->listen(options.http_host, static_cast<uint16_t>(options.http_port));
        rc != 0) {
      spdlog::critical(
          "cannot listen for http monitoring on {}: {}",
          net::joinHostPort(options.http_host, static_cast<uint16_t>(options.http_port)),
          uv_strerror(rc));
      return 1;
    }
    identity.http = net::joinHostPort(options.http_host, monitor->port());
    monitor->setIdentity(identity);
    spdlog::info("Starting http monitor on {}", identity.http);
  }
  ConfigReloader reloader(options, *tracker, *relay, std::move(reloadOptions), loadedAt);
  if (monitor) monitor->setReloadStats(&reloader.stats());
  spdlog::info("Gateway id: {}", identity.gateway_id);

  bool stopping = false;
  net::SignalWatcher signals(loop);
  auto finish = [&](const char* why) {
    spdlog::info("Shutting down ({})", why);
    relay->shutdown();
    tracker->stop();
    if (monitor) monitor->close();
    signals.close();
    loop.stop();
  };
  int rc = signals.watch({SIGTERM, SIGINT, SIGHUP}, [&](int signum) {
    if (signum == SIGHUP) {
      if (stopping) {
        spdlog::warn("SIGHUP ignored: shutting down");
        return;
      }
      (void)reloader.reload();  // logs and counts both outcomes
      return;
    }
    const char* name = signum == SIGTERM ? "SIGTERM" : "SIGINT";
    if (stopping) {
      finish(name);  // a second signal: do not wait for the lame duck
      return;
    }
    stopping = true;
    const auto duration =
        signum == SIGINT ? options.lame_duck_duration / 10 : options.lame_duck_duration;
    spdlog::info("Entering lame duck mode ({}), closing sessions over {}ms", name,
                 duration.count());
    relay->beginLameDuck(std::chrono::duration_cast<std::chrono::milliseconds>(duration),
                         [&finish] { finish("lame duck done"); });
  });
  if (rc != 0) {
    spdlog::critical("cannot watch signals: {}", uv_strerror(rc));
    return 1;
  }

  tracker->start();
  spdlog::info("Server is ready");
  loop.run();
  // Let the closes started by the shutdown finish, bounded.
  (void)loop.runUntil([&] { return !uv_loop_alive(loop.raw()); }, std::chrono::seconds(2));
  monitor.reset();
  relay.reset();
  tracker.reset();
  (void)loop.close();
  spdlog::info("Exiting");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  GatewayOptionsLoad load = loadGatewayOptions(argc, argv);
  if (!load.shouldRun()) {
    for (const std::string& w : load.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    for (const std::string& e : load.errors) std::fprintf(stderr, "%s\n", e.c_str());
    if (!load.output.empty()) std::fputs(load.output.c_str(), stdout);
    return load.exitCode;
  }
  GatewayOptions& options = load.options;
  log::LogOptions logOptions{options.debug, options.trace, options.log_file};
  if (std::string error = log::setup(logOptions); !error.empty())
    spdlog::error("cannot open the log file: {}", error);
  for (const std::string& w : load.warnings) spdlog::warn("{}", w);
  return run(options, [argc, argv] { return loadGatewayOptions(argc, argv); });
}
