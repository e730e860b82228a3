// Monitor: ftbroker's HTTP monitoring port (http_port / -m), nats-server's endpoint names:
//   /healthz               200 {"status":"ok"} while serving clients; 503 with the reason
//                          otherwise (standby, fenced, shutting down)
//   /varz /connz /subsz    nats-server's fields; /connz and /subsz page with offset/limit
//                          (default 1024) and list subscriptions with ?subs=1
//   /streaming/serverz     nats-streaming-server's fields; state STANDALONE/FT_ACTIVE/FT_STANDBY
//   /streaming/isFTActive  200 (empty body) on the FT active, 204 otherwise
//   /metrics               Prometheus text, from the same counter list as /varz
// It starts before the FT lock is taken, so a standby answers too. Snapshots are read from a
// MonitorSource on each request (the loop thread), never cached.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "broker/monitor_render.h"
#include "broker/options.h"
#include "common/http/http_server.h"
#include "common/net/event_loop.h"

namespace ftgate::broker {

struct MonitorSource {
  std::function<MonitorIdentity()> identity;
  std::function<ServerStats()> stats;
  std::function<std::vector<ConnectionSnapshot>()> connections;
  std::function<SubscriptionsSnapshot()> subscriptions;
  // The streaming service's endpoints (/streaming/storez, clientsz, channelsz, and the counts
  // merged into serverz under the path "/streaming/serverz"): JSON, or null while not serving.
  std::function<nlohmann::json(const http::HttpRequest& request, int* status)> streaming;
};

class Monitor {
 public:
  Monitor(net::EventLoop& loop, const BrokerOptions& options, MonitorSource source);
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Returns 0 or a libuv error. Port 0 picks a free port; port() reads it back.
  [[nodiscard]] int listen(std::string_view host, uint16_t port);
  [[nodiscard]] uint16_t port() const { return http_.port(); }
  // Stops listening, closes every monitoring connection. Idempotent.
  void close() { http_.close(); }

  // The handlers, callable without HTTP (tests).
  [[nodiscard]] http::HttpResponse healthz() const;
  [[nodiscard]] http::HttpResponse isFtActive() const;

 private:
  void addRoutes();

  BrokerOptions options_;
  MonitorSource source_;
  http::HttpServer http_;
};

}  // namespace ftgate::broker
