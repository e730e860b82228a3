// The core server's statistics and the snapshots monitoring renders (/varz, /connz, /subsz,
// /metrics). Counters are declared once in FT_BROKER_COUNTERS; /varz, /metrics and logs iterate
// them with ServerStats::forEachCounter, so a new counter appears everywhere at once. Field
// names follow nats-server's JSON names.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/close_reason.h"

namespace ftgate::broker {

using SystemTime = std::chrono::system_clock::time_point;

// X(json_name, "help text"): monotonically increasing counters.
#define FT_BROKER_COUNTERS(X)                                                         \
  X(in_msgs, "Messages received from clients")                                        \
  X(out_msgs, "Messages delivered to clients")                                        \
  X(in_bytes, "Payload bytes received from clients")                                  \
  X(out_bytes, "Payload bytes delivered to clients")                                  \
  X(total_connections, "Client connections accepted since start")                     \
  X(slow_consumers, "Clients closed because their pending output passed max_pending") \
  X(auth_failures, "Connections refused for bad or missing credentials")              \
  X(protocol_errors, "Connections closed for malformed or illegal frames")            \
  X(no_responders, "No-responders replies sent for requests nobody listened to")      \
  X(stalls, "Times a publisher paused reading for a subscriber above 3/4 of max_pending")

struct ServerStats {
#define FT_X(name, help) uint64_t name = 0;
  FT_BROKER_COUNTERS(FT_X)
#undef FT_X

  // Gauges, read at snapshot time.
  uint64_t connections = 0;    // open client connections now
  uint64_t subscriptions = 0;  // subscriptions in the index now
  SystemTime start{};          // when the Server object was created
  SystemTime now{};            // when the snapshot was taken

  // Closes per CloseReason (index = static_cast<size_t>(reason)).
  std::array<uint64_t, kCloseReasonCount> closes{};

  // Calls visit(const char* name, const char* help, uint64_t value) for every counter.
  template <typename Visitor>
  void forEachCounter(Visitor&& visit) const {
#define FT_X(name, help) visit(#name, help, name);
    FT_BROKER_COUNTERS(FT_X)
#undef FT_X
  }
};

// One client connection as /connz shows it. Never carries credentials.
struct ConnectionSnapshot {
  uint64_t cid = 0;
  std::string ip;
  int port = 0;
  SystemTime start{};
  SystemTime last_activity{};
  std::chrono::nanoseconds uptime{0};  // snapshot time - start
  std::chrono::nanoseconds idle{0};    // snapshot time - last_activity
  uint64_t pending_bytes = 0;          // output queued, not yet written
  uint64_t in_msgs = 0;
  uint64_t out_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
  uint64_t num_subs = 0;
  std::vector<std::string> subscriptions;  // subjects, as /connz?subs=1 lists them
  std::string name;
  std::string lang;
  std::string version;
};

// One subscription as /subsz?subs=1 lists it.
struct SubscriptionDetail {
  std::string subject;
  std::string qgroup;
  std::string sid;
  uint64_t msgs = 0;  // delivered so far
  uint64_t max = 0;   // auto-unsubscribe limit; 0 = none
  uint64_t cid = 0;
};

// The subject index as /subsz shows it.
struct SubscriptionsSnapshot {
  uint64_t num_subscriptions = 0;
  uint64_t num_cache = 0;
  uint64_t num_inserts = 0;
  uint64_t num_removes = 0;
  uint64_t num_matches = 0;
  double cache_hit_rate = 0.0;                         // 0..1
  std::vector<SubscriptionDetail> subscriptions_list;  // client subscriptions, internal excluded
};

}  // namespace ftgate::broker
