// What ftgate's monitoring endpoints say, as pure functions of snapshots: the tracker's state,
// the relay's stats and sessions, the gateway's identity. No I/O, so every body is unit-tested.
//
//   /healthz   200 {"status":"ok","active":"a","epoch":N} while an active backend is known and
//              its last probe / data-path result was ok; else 503 {"status":"error",
//              "error":"no active backend: ..."}. Cached state only: never probes.
//   /livez     200 {"status":"ok"} while the process runs
//   /varz      gateway id, version, addresses, active, epoch, failovers, detection time, uptime,
//              config_load_time, reloads, reload_failures, and every relay stat
//              (relay_stats.h) under its own name
//   /backendz  every backend: name, url, monitor, state, last probe, consecutive counts
//   /connz     sessions: client address, backend, bytes, messages, uptime (never credentials)
//   /metrics   Prometheus text: the same numbers as /varz, prefixed "ftgate_"
//   /          a short plain-text status page for people
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http/http_message.h"
#include "gateway/active_tracker.h"
#include "gateway/relay_stats.h"
#include "gateway/session.h"

namespace ftgate::gateway {

struct GatewayIdentity {
  std::string gateway_id;  // random per process, like nats-server's server_id
  std::string version;
  std::string listen;  // "0.0.0.0:4222"
  std::string http;    // "0.0.0.0:8222"
  std::chrono::system_clock::time_point start;
};

// Configuration reloads (SIGHUP, config_reload.h), as /varz and /metrics show them.
struct ReloadStats {
  std::chrono::system_clock::time_point config_load_time;  // start, or the last good reload
  uint64_t reloads = 0;                                    // reloads that applied
  uint64_t reload_failures = 0;                            // refused: the config did not validate
};

[[nodiscard]] http::HttpResponse renderHealthz(const TrackerSnapshot& tracker);
// `reload` may be nullptr (no reload fields then).
[[nodiscard]] nlohmann::json renderVarz(const GatewayIdentity& identity,
                                        const TrackerSnapshot& tracker, const RelayStats* relay,
                                        std::chrono::system_clock::time_point now,
                                        const ReloadStats* reload = nullptr);
[[nodiscard]] nlohmann::json renderBackendz(const TrackerSnapshot& tracker);
[[nodiscard]] nlohmann::json renderConnz(const std::vector<SessionSnapshot>& sessions,
                                         std::chrono::system_clock::time_point now);
[[nodiscard]] std::string renderMetrics(const GatewayIdentity& identity,
                                        const TrackerSnapshot& tracker, const RelayStats* relay,
                                        std::chrono::system_clock::time_point now,
                                        const ReloadStats* reload = nullptr);
[[nodiscard]] std::string renderStatusPage(const GatewayIdentity& identity,
                                           const TrackerSnapshot& tracker, const RelayStats* relay,
                                           std::chrono::system_clock::time_point now);

// RFC 3339 UTC with nanoseconds, as nats-server's monitoring prints times.
[[nodiscard]] std::string rfc3339(std::chrono::system_clock::time_point when);

}  // namespace ftgate::gateway
