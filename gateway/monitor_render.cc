#include "gateway/monitor_render.h"

#include <fmt/format.h>

#include <ctime>

namespace ftgate::gateway {
namespace {

using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

int64_t uptimeMs(const GatewayIdentity& identity, std::chrono::system_clock::time_point now) {
  return duration_cast<milliseconds>(now - identity.start).count();
}

std::string uptimeText(int64_t ms) {
  int64_t s = ms / 1000;
  const int64_t d = s / 86400;
  s %= 86400;
  const int64_t h = s / 3600;
  s %= 3600;
  const int64_t m = s / 60;
  s %= 60;
  std::string out;
  if (d > 0) out += std::to_string(d) + "d";
  if (d > 0 || h > 0) out += std::to_string(h) + "h";
  if (d > 0 || h > 0 || m > 0) out += std::to_string(m) + "m";
  return out + std::to_string(s) + "s";
}

json nullable(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

// The gateway's own numbers, in the order /varz and /metrics show them.
template <typename Visitor>
void forEachGatewayStat(const TrackerSnapshot& t, int64_t uptime, Visitor&& visit) {
  visit("epoch", "gauge", "Epoch of the active backend (FT owner record epoch when known)",
        static_cast<double>(t.epoch));
  visit("active_known", "gauge", "1 while an active backend is known", t.active ? 1.0 : 0.0);
  visit("healthy", "gauge", "1 while /healthz answers 200", t.healthy ? 1.0 : 0.0);
  visit("failovers", "counter", "Changes of the active backend to another backend",
        static_cast<double>(t.failovers));
  visit("last_failover_detection_ms", "gauge",
        "From the first failing signal to the new active, at the last failover",
        static_cast<double>(t.last_failover_detection_ms.value_or(0)));
  visit("uptime_seconds", "gauge", "Seconds since ftgate started",
        static_cast<double>(uptime) / 1000.0);
}

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point when) {
  const auto ns = duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1000000000);
}

http::HttpResponse renderHealthz(const TrackerSnapshot& t) {
  if (t.healthy && t.active) {
    return http::HttpResponse::json(
        200, json{{"status", "ok"}, {"active", t.active->name}, {"epoch", t.epoch}});
  }
  return http::HttpResponse::json(
      503, json{{"status", "error"},
                {"error", t.health_error.empty() ? "no active backend" : t.health_error}});
}

json renderVarz(const GatewayIdentity& id, const TrackerSnapshot& t, const RelayStats* relay,
                std::chrono::system_clock::time_point now, const ReloadStats* reload) {
  const int64_t uptime = uptimeMs(id, now);
  json v;
  v["server_id"] = id.gateway_id;
  v["server_name"] = "ftgate";
  v["version"] = id.version;
  v["listen"] = id.listen;
  v["http"] = id.http;
  v["active"] = t.active ? json(t.active->name) : json(nullptr);
  v["active_url"] =
      t.active ? json(fmt::format("nats://{}:{}", t.active->host, t.active->port)) : json(nullptr);
  v["epoch"] = t.epoch;
  v["healthy"] = t.healthy;
  v["failovers"] = t.failovers;
  v["last_failover_detection_ms"] = nullable(t.last_failover_detection_ms);
  v["backends"] = t.backends.size();
  v["ft_dir"] = t.ft_dir;
  v["ft_status"] = t.ft_status;
  v["sessions"] = relay ? relay->sessions_now : 0;
  v["total_sessions"] = relay ? relay->sessions_total : 0;
  v["in_bytes"] = relay ? relay->bytes_client_to_backend : 0;
  v["out_bytes"] = relay ? relay->bytes_backend_to_client : 0;
  v["in_msgs"] = relay ? relay->msgs_client_to_backend : 0;
  v["out_msgs"] = relay ? relay->msgs_backend_to_client : 0;
  if (relay != nullptr) {
    json stats = json::object();
    forEachRelayStat(*relay, [&](std::string_view name, StatKind, std::string_view,
                                 uint64_t value) { stats[std::string(name)] = value; });
    v["relay"] = std::move(stats);
  }
  if (reload != nullptr) {
    v["config_load_time"] = rfc3339(reload->config_load_time);
    v["reloads"] = reload->reloads;
    v["reload_failures"] = reload->reload_failures;
  }
  v["start"] = rfc3339(id.start);
  v["now"] = rfc3339(now);
  v["uptime"] = uptimeText(uptime);
  v["uptime_ms"] = uptime;
  return v;
}

json renderBackendz(const TrackerSnapshot& t) {
  json list = json::array();
  for (const BackendView& b : t.backends) {
    json probe;
    probe["result"] = probeVerdictName(b.last_probe.verdict);
    probe["path"] = b.last_probe.path;
    probe["status"] = b.last_probe.status;
    probe["latency_ms"] = b.last_probe.latency_ms;
    probe["error"] = b.last_probe.error;
    probe["age_ms"] = b.last_probe_at_ms == 0 || t.now_ms < b.last_probe_at_ms
                          ? json(nullptr)
                          : json(t.now_ms - b.last_probe_at_ms);
    list.push_back(json{{"name", b.name},
                        {"url", b.url},
                        {"monitor", b.monitor_url},
                        {"state", b.state},
                        {"active", t.active && t.active->name == b.name},
                        {"last_probe", b.last_probe_at_ms == 0 ? json(nullptr) : probe},
                        {"consecutive_ok", b.consecutive_ok},
                        {"consecutive_fail", b.consecutive_fail},
                        {"suspect", b.suspect},
                        {"last_data_path_error", b.last_data_path_error}});
  }
  return json{{"active", t.active ? json(t.active->name) : json(nullptr)},
              {"epoch", t.epoch},
              {"healthy", t.healthy},
              {"error", t.health_error},
              {"failovers", t.failovers},
              {"last_failover_detection_ms", nullable(t.last_failover_detection_ms)},
              {"ft_dir", t.ft_dir},
              {"ft_status", t.ft_status},
              {"max_record_epoch", t.max_record_epoch},
              {"backends", std::move(list)}};
}

json renderConnz(const std::vector<SessionSnapshot>& sessions,
                 std::chrono::system_clock::time_point now) {
  json list = json::array();
  for (const SessionSnapshot& s : sessions) {
    list.push_back(json{{"cid", s.id},
                        {"ip", s.client_ip},
                        {"port", s.client_port},
                        {"backend", s.backend_name},
                        {"state", std::string(sessionStateName(s.state))},
                        {"in_bytes", s.bytes_from_client},
                        {"out_bytes", s.bytes_to_client},
                        {"in_msgs", s.msgs_from_client},
                        {"out_msgs", s.msgs_to_client},
                        {"start", rfc3339(s.started)},
                        {"uptime", uptimeText(s.uptime.count())},
                        {"uptime_ms", s.uptime.count()},
                        {"name", s.name},
                        {"lang", s.lang},
                        {"version", s.version}});
  }
  return json{{"now", rfc3339(now)},
              {"num_connections", sessions.size()},
              {"connections", std::move(list)}};
}

std::string renderMetrics(const GatewayIdentity& id, const TrackerSnapshot& t,
                          const RelayStats* relay, std::chrono::system_clock::time_point now,
                          const ReloadStats* reload) {
  std::string out;
  auto metric = [&](std::string_view name, std::string_view type, std::string_view help,
                    double value) {
    out += fmt::format("# HELP ftgate_{} {}\n# TYPE ftgate_{} {}\nftgate_{} {}\n", name, help, name,
                       type, name, value);
  };
  forEachGatewayStat(t, uptimeMs(id, now), metric);
  if (reload != nullptr) {
    metric("reloads", "counter", "Configuration reloads (SIGHUP) that applied",
           static_cast<double>(reload->reloads));
    metric("reload_failures", "counter",
           "Configuration reloads refused because the file did not validate",
           static_cast<double>(reload->reload_failures));
    metric("config_load_time_seconds", "gauge", "Unix time the running configuration was loaded",
           static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   reload->config_load_time.time_since_epoch())
                                   .count()) /
               1000.0);
  }
  out +=
      "# HELP ftgate_backend_up 1 when the backend is up (after rise/fall), by state\n"
      "# TYPE ftgate_backend_up gauge\n";
  for (const BackendView& b : t.backends)
    out += fmt::format("ftgate_backend_up{{backend=\"{}\",state=\"{}\"}} {}\n", b.name, b.state,
                       b.up.value_or(false) ? 1 : 0);
  out +=
      "# HELP ftgate_backend_probe_latency_ms Latency of the last probe\n"
      "# TYPE ftgate_backend_probe_latency_ms gauge\n";
  for (const BackendView& b : t.backends)
    out += fmt::format("ftgate_backend_probe_latency_ms{{backend=\"{}\"}} {}\n", b.name,
                       b.last_probe.latency_ms);
  if (relay != nullptr) {
    forEachRelayStat(
        *relay, [&](std::string_view name, StatKind kind, std::string_view help, uint64_t value) {
          metric(name, kind == StatKind::Counter ? "counter" : "gauge", help,
                 static_cast<double>(value));
        });
  }
  return out;
}

std::string renderStatusPage(const GatewayIdentity& id, const TrackerSnapshot& t,
                             const RelayStats* relay, std::chrono::system_clock::time_point now) {
  std::string out =
      fmt::format("ftgate {} ({})\nclients: {}   monitoring: {}   up {}\n\n", id.version,
                  id.gateway_id, id.listen, id.http, uptimeText(uptimeMs(id, now)));
  if (t.active) {
    out +=
        fmt::format("active: {} (nats://{}:{}) at epoch {}  [{}]\n", t.active->name, t.active->host,
                    t.active->port, t.epoch, t.healthy ? "healthy" : t.health_error);
  } else {
    out += fmt::format("active: none  [{}]\n", t.health_error);
  }
  out += fmt::format("failovers: {}   last detection: {}\n", t.failovers,
                     t.last_failover_detection_ms
                         ? std::to_string(*t.last_failover_detection_ms) + "ms"
                         : std::string("-"));
  if (!t.ft_dir.empty()) out += fmt::format("ft dir: {}: {}\n", t.ft_dir, t.ft_status);
  if (relay != nullptr)
    out += fmt::format("sessions: {} now, {} total; bytes in {}, out {}\n", relay->sessions_now,
                       relay->sessions_total, relay->bytes_client_to_backend,
                       relay->bytes_backend_to_client);
  out += "\nbackends:\n";
  for (const BackendView& b : t.backends) {
    out += fmt::format("  {:<12} {:<8} {}  monitor {}  last probe: {} {}{}\n", b.name, b.state,
                       b.url, b.monitor_url.empty() ? "-" : b.monitor_url,
                       probeVerdictName(b.last_probe.verdict), b.last_probe.latency_ms,
                       b.last_probe.error.empty() ? "ms" : "ms (" + b.last_probe.error + ")");
  }
  out += "\nendpoints: /healthz /livez /varz /backendz /connz /metrics\n";
  return out;
}

}  // namespace ftgate::gateway
