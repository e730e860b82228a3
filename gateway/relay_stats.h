// The relay's counters, declared once. FTGATE_RELAY_STATS lists every scalar stat with its
// kind and help text; RelayStats holds them plus the close counts per CloseReason, and
// forEachRelayStat walks both so /varz, /metrics and log lines render the same list in the
// same order (the twemproxy lesson: stats declared once, rendered many ways).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/close_reason.h"

namespace ftgate::gateway {

enum class StatKind : uint8_t { Counter, Gauge };

// X(field, kind, help)
#define FTGATE_RELAY_STATS(X)                                                            \
  X(sessions_now, Gauge, "Client sessions open now")                                     \
  X(sessions_total, Counter, "Client sessions accepted since start")                     \
  X(bytes_client_to_backend, Counter, "Bytes read from clients and relayed to backends") \
  X(bytes_backend_to_client, Counter, "Bytes read from backends and relayed to clients") \
  X(msgs_client_to_backend, Counter, "PUB/HPUB frames relayed from clients")             \
  X(msgs_backend_to_client, Counter, "MSG/HMSG frames relayed to clients")               \
  X(infos_rewritten, Counter, "INFO frames rewritten for clients")                       \
  X(backend_connects, Counter, "Backend connections established")                        \
  X(backend_connect_failures, Counter, "Backend connection attempts that failed")        \
  X(slow_consumers, Counter, "Connections closed for passing the write hard cap")        \
  X(backpressure_pauses, Counter, "Times reading one side paused for the other's queue") \
  X(failovers_seen, Counter, "Changes of the active backend observed")                   \
  X(held_sessions, Counter, "Sessions that had to wait for an active backend")

struct RelayStats {
#define FTGATE_RELAY_STAT_FIELD(field, kind, help) uint64_t field = 0;
  FTGATE_RELAY_STATS(FTGATE_RELAY_STAT_FIELD)
#undef FTGATE_RELAY_STAT_FIELD
  std::array<uint64_t, kCloseReasonCount> closes{};  // indexed by CloseReason

  [[nodiscard]] uint64_t closesFor(CloseReason reason) const {
    return closes[static_cast<size_t>(reason)];
  }
};

// Calls visit(name, kind, help, value) for every scalar stat, then for every close reason as
// ("closes_<reason>", Counter, description, count). Names are snake_case, stable, and safe
// as JSON keys and Prometheus metric names (after a prefix such as "ftgate_").
template <typename Visitor>
void forEachRelayStat(const RelayStats& stats, Visitor&& visit) {
#define FTGATE_RELAY_STAT_VISIT(field, kind, help) \
  visit(std::string_view(#field), StatKind::kind, std::string_view(help), stats.field);
  FTGATE_RELAY_STATS(FTGATE_RELAY_STAT_VISIT)
#undef FTGATE_RELAY_STAT_VISIT
  for (CloseReason reason : allCloseReasons()) {
    const std::string name = "closes_" + std::string(closeReasonName(reason));
    visit(std::string_view(name), StatKind::Counter, closeReasonDescription(reason),
          stats.closesFor(reason));
  }
}

}  // namespace ftgate::gateway
