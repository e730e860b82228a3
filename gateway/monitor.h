// Monitor: ftgate's health and monitoring listener (options.http). Routes /healthz, /livez,
// /varz, /backendz, /connz, /metrics and / to the pure renderers of monitor_render.h, reading
// only cached state from the tracker and the relay: a load balancer polling /healthz never
// causes a probe. The relay is optional (nullptr), so the monitor also runs without it.
//
// Single-threaded: every call on the loop thread. Destroy before the EventLoop.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/http/http_server.h"
#include "common/net/event_loop.h"
#include "gateway/active_tracker.h"
#include "gateway/gateway_server.h"
#include "gateway/monitor_render.h"

namespace ftgate::gateway {

class Monitor {
 public:
  // `tracker` and `relay` (when not nullptr) must outlive the monitor.
  Monitor(net::EventLoop& loop, GatewayIdentity identity, const ActiveTracker& tracker,
          const GatewayServer* relay);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Returns 0 or a libuv error. Port 0 picks a free port; port() reads it back.
  [[nodiscard]] int listen(std::string_view host, uint16_t port);
  [[nodiscard]] uint16_t port() const { return server_.port(); }
  // Sets the relay once it exists (or nullptr while it is gone).
  void setRelay(const GatewayServer* relay) { relay_ = relay; }
  void setIdentity(GatewayIdentity identity) { identity_ = std::move(identity); }
  // Reload counters for /varz and /metrics (nullptr: not shown). Must outlive the monitor.
  void setReloadStats(const ReloadStats* reload) { reload_ = reload; }
  // Stops listening and closes open connections. Idempotent.
  void close();

 private:
  [[nodiscard]] const RelayStats* relayStats() const;

  GatewayIdentity identity_;
  const ActiveTracker& tracker_;
  const GatewayServer* relay_;
  const ReloadStats* reload_ = nullptr;
  http::HttpServer server_;
};

}  // namespace ftgate::gateway
