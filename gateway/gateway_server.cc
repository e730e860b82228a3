#include "gateway/gateway_server.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/nats/encoder.h"

namespace ftgate::gateway {

GatewayServer::GatewayServer(net::EventLoop& loop, const GatewayOptions& options,
                             UpstreamSelector& selector)
    : loop_(loop),
      options_(options),
      selector_(selector),
      listener_(loop),
      context_{loop, options, selector, stats_, 0, nullptr, {}},
      lameDuckTimer_(loop) {
  context_.on_closed = [this](Session& session) { onSessionClosed(session); };
}

GatewayServer::~GatewayServer() {
  shutdown();
  lameDuckTimer_.close();
}

int GatewayServer::start() {
  const int status = listener_.listen(
      options_.listen_host, static_cast<uint16_t>(options_.listen_port),
      [this](net::TcpConnection::Ptr connection) { onAccept(std::move(connection)); });
  if (status != 0) return status;
  context_.listen_port = listener_.port();
  lastActive_ = selector_.active();
  observerToken_ = selector_.addObserver(
      [this](const std::optional<ActiveBackend>& active) { onActiveChanged(active); });
  spdlog::info("Listening for client connections on {}:{}", options_.listen_host, listener_.port());
  return 0;
}

void GatewayServer::onAccept(net::TcpConnection::Ptr connection) {
  if (lameDuck_) {
    connection->close();
    return;
  }
  if (options_.max_connections > 0 &&
      static_cast<int64_t>(sessions_.size()) >= options_.max_connections) {
    refuseMaxConnections(*connection);
    return;
  }
  ++stats_.sessions_total;
  const uint64_t id = nextId_++;
  Session::Ptr session = Session::create(context_, id, std::move(connection));
  sessions_.emplace(id, session);
  stats_.sessions_now = sessions_.size();
  session->start();  // may close (and unregister) the session at once
}

// nats-server sends its INFO first and then the -ERR; clients read INFO before anything else,
// so the gateway presents a minimal INFO of its own before refusing.
void GatewayServer::refuseMaxConnections(net::TcpConnection& connection) {
  ++stats_.closes[static_cast<size_t>(CloseReason::MaxConnections)];
  spdlog::warn("client {} refused: {}", connection.peerAddress().toString(),
               closeReasonDescription(CloseReason::MaxConnections));
  nlohmann::ordered_json info = {{"server_id", "ftgate"},
                                 {"server_name", "ftgate"},
                                 {"version", FTGATE_VERSION},
                                 {"proto", 1},
                                 {"host", options_.listen_host},
                                 {"port", listener_.port()},
                                 {"headers", true},
                                 {"max_payload", options_.max_payload}};
  std::string out;
  nats::appendInfo(out, info.dump());
  nats::appendErr(out, "maximum connections exceeded");
  connection.write(out);
  connection.closeAfterFlush();
}

void GatewayServer::onSessionClosed(Session& session) {
  sessions_.erase(session.id());
  stats_.sessions_now = sessions_.size();
  if (lameDuck_ && sessions_.empty() && lameDuckDone_) {
    // Not from inside the session's close: `done` may well destroy this server.
    lameDuckTimer_.startOnce(std::chrono::milliseconds(0), [this] {
      if (auto done = std::move(lameDuckDone_)) done();
    });
  }
}

void GatewayServer::onActiveChanged(const std::optional<ActiveBackend>& active) {
  if (active != lastActive_) {
    ++stats_.failovers_seen;
    spdlog::info("active backend: {}", active ? active->name : std::string("none"));
  }
  lastActive_ = active;
  for (const Session::Ptr& session : liveSessions()) session->onActiveChanged(active);
}

std::vector<Session::Ptr> GatewayServer::liveSessions() const {
  std::vector<Session::Ptr> out;
  out.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) out.push_back(session);
  return out;
}

std::vector<SessionSnapshot> GatewayServer::sessions() const {
  std::vector<SessionSnapshot> out;
  out.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) out.push_back(session->snapshot());
  return out;
}

void GatewayServer::beginLameDuck(std::chrono::milliseconds duration, std::function<void()> done) {
  if (lameDuck_) return;
  lameDuck_ = true;
  lameDuckDone_ = std::move(done);
  listener_.close();
  size_t announced = 0;
  for (const Session::Ptr& session : liveSessions()) {
    if (session->announceLameDuck()) ++announced;
  }
  spdlog::info("Entering lame duck mode: {} sessions to close over {} ms ({} told)",
               sessions_.size(), duration.count(), announced);
  if (sessions_.empty()) {
    lameDuckTimer_.startOnce(std::chrono::milliseconds(0), [this] {
      if (auto callback = std::move(lameDuckDone_)) callback();
    });
    return;
  }
  lameDuckStep_ =
      std::max(std::chrono::milliseconds(1), duration / static_cast<int64_t>(sessions_.size()));
  lameDuckTimer_.startOnce(lameDuckStep_, [this] { closeNextLameDuckSession(); });
}

void GatewayServer::closeNextLameDuckSession() {
  if (sessions_.empty()) return;  // onSessionClosed reports done
  Session::Ptr oldest = sessions_.begin()->second;
  const bool last = sessions_.size() == 1;
  oldest->close(CloseReason::LameDuck);
  if (!last) lameDuckTimer_.startOnce(lameDuckStep_, [this] { closeNextLameDuckSession(); });
}

size_t GatewayServer::optionsReloaded() {
  size_t updated = 0;
  for (const Session::Ptr& session : liveSessions()) {
    session->applyReloadedLimits();
    ++updated;
  }
  return updated;
}

void GatewayServer::shutdown() {
  listener_.close();
  if (observerToken_) {
    selector_.removeObserver(*observerToken_);
    observerToken_.reset();
  }
  for (const Session::Ptr& session : liveSessions()) session->close(CloseReason::Shutdown);
}

}  // namespace ftgate::gateway
