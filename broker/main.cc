// ftbroker: parse options, set up logging, start monitoring, join the FT group (or just serve),
// run the loop, and leave in the right order: stop serving, close clients, release the FT lock
// last. Exit statuses: 0 after SIGTERM/SIGINT, 1 for bad options or a port that cannot be
// opened, 2 when fenced by another server (a supervisor restarts it as a standby).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "broker/ft_member.h"
#include "broker/monitor.h"
#include "broker/options_loader.h"
#include "broker/server.h"
#include "broker/stan/service.h"
#include "broker/stan/service_monitor.h"
#include "broker/store/file_store.h"
#include "broker/store/memory_store.h"
#include "common/log/log.h"
#include "common/net/address.h"
#include "common/net/event_loop.h"
#include "common/net/heap_retention.h"
#include "common/net/signal_watcher.h"

namespace {

using namespace ftgate;
using namespace ftgate::broker;

bool isWildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

// The address others should dial when we are bound to every interface: the first non-loopback
// IPv4 address (nats-server does the same for connect_urls), else 127.0.0.1.
std::string firstNonLoopbackIpv4() {
  std::string found = "127.0.0.1";
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return found;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    auto* in = reinterpret_cast<sockaddr_in*>(it->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) {
      found = text;
      break;
    }
  }
  ::freeifaddrs(list);
  return found;
}

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

ft::ServerIdentity identityOf(const BrokerOptions& options, const Server& server, int monitorPort) {
  ft::ServerIdentity id;
  id.server_id = server.serverId();
  id.name = server.serverName();
  const int port = server.port();
  if (!options.client_advertise.empty()) {
    std::string adv = options.client_advertise;
    if (adv.find("://") != std::string::npos) adv = adv.substr(adv.find("://") + 3);
    id.client_url = "nats://" + (adv.find(':') == std::string::npos || adv.back() == ']'
                                     ? net::joinHostPort(adv, static_cast<uint16_t>(port))
                                     : adv);
  } else {
    const std::string host = isWildcard(options.host) ? firstNonLoopbackIpv4() : options.host;
    id.client_url = "nats://" + net::joinHostPort(host, static_cast<uint16_t>(port));
  }
  if (monitorPort > 0) {
    const std::string& h = options.http_host.empty() ? options.host : options.http_host;
    id.monitor_url = "http://" + net::joinHostPort(isWildcard(h) ? firstNonLoopbackIpv4() : h,
                                                   static_cast<uint16_t>(monitorPort));
  }
  id.host = hostName();
  id.pid = ::getpid();
  return id;
}

int run(const BrokerOptions& options) {
  spdlog::info("Starting ftbroker version {}", FTGATE_VERSION);
  spdlog::info("Process id: {}", ::getpid());
  if (!options.config_file.empty())
    spdlog::info("Using configuration file: {}", options.config_file);
  if (options.streaming.store == StoreKind::File) {
    std::error_code ec;
    std::filesystem::create_directories(options.streaming.dir, ec);
    if (ec) {
      spdlog::critical("cannot create the store directory {}: {}", options.streaming.dir,
                       ec.message());
      return 1;
    }
  }

  net::EventLoop loop;
  // Queues for slow consumers come and go in bursts: keep their pages between bursts.
  net::HeapRetention heapRetention(loop);
  BrokerOptions serverOptions = options;
  if (serverOptions.port == -1) serverOptions.port = 0;  // random
  auto server = std::make_unique<Server>(loop, serverOptions);

  // The streaming service lives while this broker serves: created on every start (after the
  // store is recovered: first start or FT takeover), destroyed when it stops or is fenced.
  std::unique_ptr<stan::StreamingService> streaming;
  auto startStreaming = [&]() -> std::string {
    stan::ServiceOptions so;
    so.cluster_id = options.streaming.cluster_id;
    so.hb_interval = options.streaming.hb_interval;
    so.hb_timeout = options.streaming.hb_timeout;
    so.hb_fail_count = options.streaming.hb_fail_count;
    so.limits = options.streaming.limits;
    store::StoreOptions storeOptions;
    storeOptions.limits = options.streaming.limits;
    storeOptions.file = options.streaming.file;
    store::StorePtr store;
    if (options.streaming.store == StoreKind::File) {
      store = std::make_unique<store::FileStore>(loop, options.streaming.dir, storeOptions);
    } else {
      store = std::make_unique<store::MemoryStore>(storeOptions);
    }
    streaming = std::make_unique<stan::StreamingService>(loop, *server, so);
    std::string error = streaming->start(std::move(store));
    if (!error.empty()) streaming.reset();
    return error;
  };

  int exitCode = 0;
  bool stopping = false;
  std::unique_ptr<Monitor> monitor;
  std::unique_ptr<FtMember> member;
  net::SignalWatcher signals(loop);

  auto shutdown = [&](int code, const char* why) {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    spdlog::info("Initiating shutdown ({})", why);
    if (member) member->beginShutdown();
    if (monitor) monitor->close();
    signals.close();
    loop.stop();
  };

  // Monitoring first, so a standby answers.
  int monitorPort = 0;
  if (options.http_port != 0) {
    MonitorSource source;
    source.identity = [&] {
      MonitorIdentity id;
      id.server_id = server->serverId();
      id.server_name = server->serverName();
      id.version = FTGATE_VERSION;
      id.client_port = server->port();
      id.http_port = monitorPort;
      id.ft_state = member ? member->role().state() : FtState::Standby;
      id.epoch = member && member->claim() ? member->claim()->epoch : 0;
      id.accepting = server->accepting() && member && member->role().serving();
      return id;
    };
    source.stats = [&] { return server->stats(); };
    source.connections = [&] { return server->connections(); };
    source.subscriptions = [&] { return server->subscriptions(); };
    source.streaming = [&](const http::HttpRequest& request, int* status) -> nlohmann::json {
      if (!streaming || !streaming->running()) return nullptr;
      if (request.path == "/streaming/serverz") return stan::renderServerzCounts(*streaming);
      return stan::renderStreamingEndpoint(*streaming, server->serverId(), request, status);
    };
    monitor = std::make_unique<Monitor>(loop, options, std::move(source));
    const std::string host = options.http_host.empty() ? options.host : options.http_host;
    const uint16_t want = options.http_port == -1 ? 0 : static_cast<uint16_t>(options.http_port);
    if (int rc = monitor->listen(host, want); rc != 0) {
      spdlog::critical("cannot listen for http monitoring on {}: {}", net::joinHostPort(host, want),
                       uv_strerror(rc));
      return 1;
    }
    monitorPort = monitor->port();
    spdlog::info("Starting http monitor on {}", net::joinHostPort(host, monitor->port()));
  }

  FtServing serving;
  serving.start = [&] {
    // Recover the streaming store before clients can reach us.
    if (std::string error = startStreaming(); !error.empty()) return error;
    std::string error = server->start();  // logs "Listening for client ..."
    if (!error.empty()) streaming.reset();
    return error;
  };
  serving.stop = [&](CloseReason reason) {
    streaming.reset();  // stops writing the store first (fencing)
    server->stop(reason);
  };
  serving.identity = [&] { return identityOf(options, *server, monitorPort); };
  FtGroupStorePtr store;
  if (options.streaming.ftMode()) store = std::make_unique<FileFtGroupStore>(options.streaming.dir);
  member = std::make_unique<FtMember>(loop, options.streaming, std::move(store), std::move(serving),
                                      [&](int code) { shutdown(code, "FT role ended"); });

  if (int rc = signals.watch(
          {SIGTERM, SIGINT, SIGHUP},
          [&](int signum) {
            if (signum == SIGHUP) {
              spdlog::warn("SIGHUP: configuration reload is not supported; restart ftbroker");
              return;
            }
            shutdown(0, signum == SIGTERM ? "SIGTERM" : "SIGINT");
          });
      rc != 0) {
    spdlog::critical("cannot watch signals: {}", uv_strerror(rc));
    return 1;
  }

  if (std::string error = member->start(); !error.empty()) {
    spdlog::critical("cannot serve clients: {}", error);
    member->beginShutdown();
    exitCode = 1;
    stopping = true;
  } else if (!options.streaming.ftMode()) {
    spdlog::info("Server is ready (standalone, cluster id '{}')", options.streaming.cluster_id);
  }

  if (!stopping) loop.run();
  // Let the closes started by the shutdown finish (clients, listeners), bounded.
  (void)loop.runUntil([&] { return !uv_loop_alive(loop.raw()); }, std::chrono::seconds(2));
  member->releaseLock();  // last: a standby takes over only now
  member.reset();
  streaming.reset();
  monitor.reset();
  server.reset();
  (void)loop.close();
  spdlog::info("Server Exiting.. (status {})", exitCode);
  return exitCode;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  OptionsLoadResult loaded = loadBrokerOptions(argc, argv);
  if (!loaded.output.empty()) {
    std::fputs(loaded.output.c_str(), stdout);
    return 0;
  }
  if (!loaded.error.empty()) {
    std::fprintf(stderr, "%s\n", loaded.error.c_str());
    return loaded.exitCode;
  }
  const BrokerOptions& options = loaded.options;
  log::LogOptions logOptions;
  logOptions.debug = options.debug || options.streaming.debug;
  logOptions.trace = options.trace || options.streaming.trace;
  logOptions.file = options.log_file;
  if (std::string error = log::setup(logOptions); !error.empty()) spdlog::error("{}", error);
  for (const std::string& notice : loaded.notices) spdlog::info("{}", notice);
  for (const std::string& warning : loaded.warnings) spdlog::warn("{}", warning);
  return run(options);
}
