#include "broker/monitor.h"

#include <charconv>

namespace ftgate::broker {
namespace {

size_t queryNumber(const http::HttpRequest& request, const std::string& key, size_t fallback) {
  const std::string text = request.queryValue(key);
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return fallback;
  return value;
}

Paging pagingOf(const http::HttpRequest& request) {
  Paging paging;
  paging.offset = queryNumber(request, "offset", 0);
  paging.limit = queryNumber(request, "limit", paging.limit);
  if (paging.limit == 0) paging.limit = 1024;
  return paging;
}

bool flagOf(const http::HttpRequest& request, const std::string& key) {
  const std::string v = request.queryValue(key);
  return v == "1" || v == "true" || v == "detail";
}

}  // namespace

Monitor::Monitor(net::EventLoop& loop, const BrokerOptions& options, MonitorSource source)
    : options_(options), source_(std::move(source)), http_(loop) {
  addRoutes();
}

int Monitor::listen(std::string_view host, uint16_t port) { return http_.listen(host, port); }

http::HttpResponse Monitor::healthz() const {
  const MonitorIdentity id = source_.identity();
  if (id.accepting) return http::HttpResponse::json(200, {{"status", "ok"}});
  std::string why;
  switch (id.ft_state) {
    case FtState::Standby:
      why = "standby: waiting for the FT lock";
      break;
    case FtState::Fenced:
      why = "fenced: another server claimed the FT group";
      break;
    case FtState::Stopping:
      why = "shutting down";
      break;
    default:
      why = "not accepting client connections";
      break;
  }
  return http::HttpResponse::json(503, {{"status", "error"}, {"error", why}});
}

http::HttpResponse Monitor::isFtActive() const {
  const MonitorIdentity id = source_.identity();
  return http::HttpResponse::empty(id.ft_state == FtState::Active && id.accepting ? 200 : 204);
}

void Monitor::addRoutes() {
  http_.route("/healthz", [this](const http::HttpRequest&) { return healthz(); });
  http_.route("/streaming/isFTActive", [this](const http::HttpRequest&) { return isFtActive(); });
  http_.route("/varz", [this](const http::HttpRequest&) {
    return http::HttpResponse::json(200, renderVarz(options_, source_.identity(), source_.stats()));
  });
  http_.route("/connz", [this](const http::HttpRequest& request) {
    return http::HttpResponse::json(
        200, renderConnz(source_.identity(), source_.stats(), source_.connections(),
                         pagingOf(request), flagOf(request, "subs")));
  });
  http_.route("/subsz", [this](const http::HttpRequest& request) {
    return http::HttpResponse::json(
        200, renderSubsz(source_.identity(), source_.stats(), source_.subscriptions(),
                         pagingOf(request), flagOf(request, "subs")));
  });
  http_.route("/streaming/serverz", [this](const http::HttpRequest& request) {
    nlohmann::json out = renderServerz(options_, source_.identity(), source_.stats());
    int status = 200;
    if (source_.streaming) {
      nlohmann::json counts = source_.streaming(request, &status);
      if (counts.is_object()) out.update(counts);
    }
    return http::HttpResponse::json(200, out);
  });
  for (const char* path : {"/streaming/storez", "/streaming/clientsz", "/streaming/channelsz"}) {
    http_.route(path, [this](const http::HttpRequest& request) {
      int status = 503;
      nlohmann::json out;
      if (source_.streaming) out = source_.streaming(request, &status);
      if (out.is_null())
        return http::HttpResponse::json(503, {{"error", "streaming service not running"}});
      return http::HttpResponse::json(status, out);
    });
  }
  http_.route("/metrics", [this](const http::HttpRequest&) {
    http::HttpResponse response =
        http::HttpResponse::text(200, renderMetrics(source_.identity(), source_.stats()));
    response.contentType = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  });
  http_.route("/", [this](const http::HttpRequest&) {
    return http::HttpResponse::json(
        200,
        {{"endpoints",
          {"/healthz", "/varz", "/connz", "/subsz", "/streaming/serverz", "/streaming/storez",
           "/streaming/clientsz", "/streaming/channelsz", "/streaming/isFTActive", "/metrics"}}});
  });
}

}  // namespace ftgate::broker
