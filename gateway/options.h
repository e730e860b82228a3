// ftgate's options: one struct, defaults in one place, filled from the config file first and
// flags over it, validated before the event loop starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ftgate::gateway {

using Millis = std::chrono::milliseconds;

struct BackendOptions {
  std::string name;         // shown in logs, /healthz, /backendz
  std::string url;          // nats://host:port — where client sessions are relayed
  std::string monitor_url;  // http://host:port — probed for the active role; may be empty
};

// Health probes, like HAProxy's inter/timeout/rise/fall.
struct ProbeOptions {
  Millis interval{500};
  Millis timeout{300};
  int rise = 1;  // consecutive successes before a backend counts as up
  int fall = 2;  // consecutive failures before it counts as down
};

struct FailoverOptions {
  enum class Mode { Migrate, Close };
  Mode mode = Mode::Migrate;
  Millis hold{10 * 1000};
  int64_t buffer = 8 * 1024 * 1024;
  // PUBs to subjects with these prefixes are NATS Streaming publishes: kept until their
  // PubAck passes back, re-sent to a new active after a switch.
  std::vector<std::string> stan_pub_prefixes{"_STAN.pub."};
};

struct GatewayOptions {
  std::string config_file;

  std::string listen_host = "0.0.0.0";
  int listen_port = 4222;
  std::string http_host = "0.0.0.0";
  int http_port = 8222;  // 0: no monitoring listener

  std::vector<BackendOptions> backends;
  std::string ft_dir;  // optional: the FT group's shared store directory
  ProbeOptions probe;
  FailoverOptions failover;

  int64_t max_payload = 1024 * 1024;  // the edge ceiling; INFO shows min(backend, this)
  int64_t max_control_line = 4096;
  int64_t max_connections = 64 * 1024;
  Millis connect_hold{5000};  // a new client waits this long for an active backend

  // Relay backpressure: stop reading the other side above high, resume below low; a side
  // whose queue passes the hard cap is a slow consumer and is closed.
  int64_t write_high_watermark = 1024 * 1024;
  int64_t write_low_watermark = 256 * 1024;
  int64_t write_hard_cap = 64 * 1024 * 1024;

  Millis lame_duck_duration{30 * 1000};

  bool debug = false;
  bool trace = false;
  std::string log_file;
};

}  // namespace ftgate::gateway
