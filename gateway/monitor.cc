#include "gateway/monitor.h"

#include <chrono>
#include <utility>

namespace ftgate::gateway {

Monitor::Monitor(net::EventLoop& loop, GatewayIdentity identity, const ActiveTracker& tracker,
                 const GatewayServer* relay)
    : identity_(std::move(identity)), tracker_(tracker), relay_(relay), server_(loop) {
  using Clock = std::chrono::system_clock;
  server_.route("/healthz",
                [this](const http::HttpRequest&) { return renderHealthz(tracker_.snapshot()); });
  server_.route("/livez", [](const http::HttpRequest&) {
    return http::HttpResponse::json(200, {{"status", "ok"}});
  });
  server_.route("/varz", [this](const http::HttpRequest&) {
    return http::HttpResponse::json(
        200, renderVarz(identity_, tracker_.snapshot(), relayStats(), Clock::now(), reload_));
  });
  server_.route("/backendz", [this](const http::HttpRequest&) {
    return http::HttpResponse::json(200, renderBackendz(tracker_.snapshot()));
  });
  server_.route("/connz", [this](const http::HttpRequest&) {
    return http::HttpResponse::json(
        200, renderConnz(relay_ != nullptr ? relay_->sessions() : std::vector<SessionSnapshot>{},
                         Clock::now()));
  });
  server_.route("/metrics", [this](const http::HttpRequest&) {
    http::HttpResponse r = http::HttpResponse::text(
        200, renderMetrics(identity_, tracker_.snapshot(), relayStats(), Clock::now(), reload_));
    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
  server_.route("/", [this](const http::HttpRequest&) {
    return http::HttpResponse::text(
        200, renderStatusPage(identity_, tracker_.snapshot(), relayStats(), Clock::now()));
  });
}

Monitor::~Monitor() { close(); }

int Monitor::listen(std::string_view host, uint16_t port) { return server_.listen(host, port); }

void Monitor::close() { server_.close(); }

const RelayStats* Monitor::relayStats() const {
  return relay_ != nullptr ? &relay_->stats() : nullptr;
}

}  // namespace ftgate::gateway
