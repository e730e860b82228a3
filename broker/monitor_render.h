// The monitoring documents of ftbroker, rendered from plain snapshots (no I/O, no server):
// /varz, /connz, /subsz, /streaming/serverz, /metrics. Field names are nats-server's and
// nats-streaming-server's, so existing dashboards and exporters read them unchanged.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/ft_role.h"
#include "broker/options.h"
#include "broker/server_stats.h"

namespace ftgate::broker {

// Everything the documents need besides the server's own snapshots.
struct MonitorIdentity {
  std::string server_id;
  std::string server_name;
  std::string version;
  int client_port = 0;  // bound port (or the configured one while standby)
  int http_port = 0;
  FtState ft_state = FtState::Standalone;
  uint64_t epoch = 0;
  bool accepting = false;  // the client port is open
};

struct Paging {
  size_t offset = 0;
  size_t limit = 1024;  // nats-server's default
};

// RFC 3339 UTC with nanoseconds, like Go's time.Time in JSON.
[[nodiscard]] std::string formatTime(SystemTime time);
// Go-ish duration as nats-server prints uptime/idle: "1d2h3m4s", "0s".
[[nodiscard]] std::string formatUptime(std::chrono::nanoseconds duration);

[[nodiscard]] nlohmann::json renderVarz(const BrokerOptions& options, const MonitorIdentity& id,
                                        const ServerStats& stats);
[[nodiscard]] nlohmann::json renderConnz(const MonitorIdentity& id, const ServerStats& stats,
                                         const std::vector<ConnectionSnapshot>& connections,
                                         Paging paging, bool withSubs);
[[nodiscard]] nlohmann::json renderSubsz(const MonitorIdentity& id, const ServerStats& stats,
                                         const SubscriptionsSnapshot& subs, Paging paging,
                                         bool withSubs);
[[nodiscard]] nlohmann::json renderServerz(const BrokerOptions& options, const MonitorIdentity& id,
                                           const ServerStats& stats);
// Prometheus text exposition, from the same counter list as /varz.
[[nodiscard]] std::string renderMetrics(const MonitorIdentity& id, const ServerStats& stats);

}  // namespace ftgate::broker
