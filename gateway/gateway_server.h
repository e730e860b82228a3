// GatewayServer: ftgate's client listener and the registry of its sessions.
//
// Accepts client connections on options.listen_host:listen_port, refuses those over
// max_connections (INFO, then -ERR 'maximum connections exceeded', then close, as nats-server
// does), gives every other one a Session, and forwards the selector's changes to all of them.
// Owns the relay's stats and renders snapshots for monitoring (/varz, /connz, /metrics).
// Lame duck: stop accepting, tell protocol-1 clients ("ldm":true), close the sessions spread
// over the duration, then report done so main can exit 0.
//
// Config reload: the options object is updated in place (config_reload.h); sessions read it
// when they use a value, and optionsReloaded() lets live sessions take the new limits.
//
// Single-threaded: every call on the loop thread. Destroy before the EventLoop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "common/net/event_loop.h"
#include "common/net/tcp_listener.h"
#include "common/net/timer.h"
#include "gateway/options.h"
#include "gateway/relay_stats.h"
#include "gateway/session.h"
#include "gateway/upstream_selector.h"

namespace ftgate::gateway {

class GatewayServer {
 public:
  // `options` and `selector` must outlive the server.
  GatewayServer(net::EventLoop& loop, const GatewayOptions& options, UpstreamSelector& selector);
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  // Binds and listens. Returns 0 or a libuv error (UV_EADDRINUSE, ...). Call once.
  [[nodiscard]] int start();
  // The bound port (the ephemeral one when listen_port was 0).
  [[nodiscard]] uint16_t port() const { return listener_.port(); }

  // Stops accepting, sends protocol-1 clients an async INFO with "ldm":true, then closes the
  // sessions one by one spread evenly over `duration` (reason LameDuck) and calls `done` once
  // none is left (at once when there are none). Idempotent: a second call is ignored.
  void beginLameDuck(std::chrono::milliseconds duration, std::function<void()> done);
  [[nodiscard]] bool inLameDuck() const { return lameDuck_; }
  // Stops accepting and closes every session now (reason Shutdown). Idempotent.
  void shutdown();
  // The options were updated in place by a config reload: live sessions take the new limits
  // for their next frames; max_connections applies to
  // the next accept. The listen address is never changed here. Returns how many live sessions
  // took the new limits.
  size_t optionsReloaded();

  [[nodiscard]] const RelayStats& stats() const { return stats_; }
  [[nodiscard]] std::vector<SessionSnapshot> sessions() const;
  [[nodiscard]] size_t sessionCount() const { return sessions_.size(); }

 private:
  void onAccept(net::TcpConnection::Ptr connection);
  void refuseMaxConnections(net::TcpConnection& connection);
  void onSessionClosed(Session& session);
  void onActiveChanged(const std::optional<ActiveBackend>& active);
  void closeNextLameDuckSession();
  // Copies of the live sessions, for loops during which sessions may close.
  [[nodiscard]] std::vector<Session::Ptr> liveSessions() const;

  net::EventLoop& loop_;
  const GatewayOptions& options_;
  UpstreamSelector& selector_;
  net::TcpListener listener_;
  RelayStats stats_;
  SessionContext context_;
  std::map<uint64_t, Session::Ptr> sessions_;  // by id, so /connz lists in accept order
  uint64_t nextId_ = 1;
  std::optional<size_t> observerToken_;
  std::optional<ActiveBackend> lastActive_;

  bool lameDuck_ = false;
  net::Timer lameDuckTimer_;
  std::chrono::milliseconds lameDuckStep_{0};
  std::function<void()> lameDuckDone_;
};

}  // namespace ftgate::gateway
