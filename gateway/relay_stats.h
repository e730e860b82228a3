// The relay's counters, declared once. FTGATE_RELAY_STATS lists every scalar stat with its
// kind and help text; RelayStats holds them plus the close counts per CloseReason, and
// forEachRelayStat walks both so /varz, /metrics and log lines render the same list in the
// same order (the twemproxy lesson: stats declared once, rendered many ways).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  X(slow_consumers, Counter,                                                             \
    "Clients closed as slow consumers (write hard cap, or cut by the backend)")          \
  X(backpressure_pauses, Counter, "Times reading one side paused for the other's queue") \
  X(failovers_seen, Counter, "Changes of the active backend observed")                   \
  X(held_sessions, Counter, "Sessions that had to wait for an active backend")           \
  X(migrations_started, Counter, "Session switches to a new backend begun")              \
  X(sessions_migrated, Counter, "Session switches completed with the client kept")       \
  X(replayed_subscriptions, Counter, "SUB frames replayed to a new backend")             \
  X(pings_reissued, Counter, "Client PINGs re-asked of a new backend")                   \
  X(stan_publishes_resent, Counter, "Streaming publishes without PubAck re-sent")        \
  X(async_infos_sent, Counter, "Async INFO sent to clients after a switch")              \
  X(migration_barrier_timeouts, Counter,                                                 \
    "Switch rounds released by the barrier's bound, not by every session arriving")

// The pause each migrated client saw (switch begun → relaying again), for p50/p99/max. Keeps
// the last kWindow samples (a ring) and the all-time max.
class PauseSamples {
 public:
  static constexpr size_t kWindow = 4096;
  void record(uint64_t ms) {
    if (samples_.size() < kWindow) {
      samples_.push_back(ms);
    } else {
      samples_[next_] = ms;
    }
    next_ = (next_ + 1) % kWindow;
    max_ = std::max(max_, ms);
    ++count_;
  }
  // The q-quantile (0..1) of the window, nearest rank; 0 when empty.
  [[nodiscard]] uint64_t quantile(double q) const {
    if (samples_.empty()) return 0;
    std::vector<uint64_t> sorted = samples_;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)];
  }
  [[nodiscard]] uint64_t max() const { return max_; }
  [[nodiscard]] uint64_t count() const { return count_; }

 private:
  std::vector<uint64_t> samples_;
  size_t next_ = 0;
  uint64_t max_ = 0;
  uint64_t count_ = 0;
};

struct RelayStats {
#define FTGATE_RELAY_STAT_FIELD(field, kind, help) uint64_t field = 0;
  FTGATE_RELAY_STATS(FTGATE_RELAY_STAT_FIELD)
#undef FTGATE_RELAY_STAT_FIELD
  std::array<uint64_t, kCloseReasonCount> closes{};  // indexed by CloseReason
  PauseSamples migration_pause_ms;

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
  const PauseSamples& pause = stats.migration_pause_ms;
  visit(std::string_view("migration_pause_ms_p50"), StatKind::Gauge,
        std::string_view("Pause clients saw during a switch, median of recent (ms)"),
        pause.quantile(0.5));
  visit(std::string_view("migration_pause_ms_p99"), StatKind::Gauge,
        std::string_view("Pause clients saw during a switch, 99th percentile of recent (ms)"),
        pause.quantile(0.99));
  visit(std::string_view("migration_pause_ms_max"), StatKind::Gauge,
        std::string_view("Longest pause a client saw during a switch (ms)"), pause.max());
}

}  // namespace ftgate::gateway
