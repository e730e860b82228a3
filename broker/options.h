// ftbroker's options: one struct, defaults in one place (nats-server's and
// nats-streaming-server's defaults), filled from the config file first and flags over it,
// validated before the event loop starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/store/store_options.h"

namespace ftgate::broker {

using Millis = std::chrono::milliseconds;

enum class StoreKind { Memory, File };

struct AuthOptions {
  std::string user;
  std::string password;
  std::string token;
  Millis timeout{2000};  // auth_timeout: CONNECT must arrive within this
  bool required() const { return !user.empty() || !token.empty(); }
};

struct StreamingOptions {
  std::string cluster_id = "test-cluster";
  StoreKind store = StoreKind::Memory;
  std::string dir;       // shared store directory (file store, FT group)
  std::string ft_group;  // non-empty: FT mode (requires store file)
  // A standby retries the lock this often; a kill -9 of the active must be followed by the
  // standby serving within 1 s, so the default stays well under that.
  Millis ft_lock_interval{250};
  // The active re-reads the owner record this often (fencing).
  Millis ft_check_interval{500};
  // Server heartbeats to each streaming client (-hbi, -hbt, -hbf).
  Millis hb_interval{30000};
  Millis hb_timeout{10000};
  int hb_fail_count = 10;
  store::StoreLimits limits;     // streaming.limits, -mc -msu -mm -mb -ma
  store::FileStoreOptions file;  // streaming.file, --file_sync, --file_compact_*
  bool debug = false;            // -SD
  bool trace = false;            // -SV
  bool ftMode() const { return !ft_group.empty(); }
};

struct BrokerOptions {
  std::string config_file;

  std::string server_name;  // `server_name` / `--name`; empty: the server_id is used

  std::string host = "0.0.0.0";
  int port = 4222;        // -1: a random free port (tests; not allowed in FT mode)
  int http_port = 0;      // 0: monitoring off; -1: a random free port
  std::string http_host;  // empty: same as host
  // host[:port] other servers and the gateway should use to reach this one (the owner record's
  // client_url). Empty: the bound host, or the first non-loopback IPv4 when bound to 0.0.0.0.
  std::string client_advertise;

  int64_t max_payload = 1024 * 1024;
  int64_t max_control_line = 4096;
  int64_t max_pending = 64 * 1024 * 1024;
  int64_t max_connections = 64 * 1024;
  Millis ping_interval{2 * 60 * 1000};
  int ping_max = 2;
  Millis write_deadline{10 * 1000};

  AuthOptions auth;

  bool debug = false;
  bool trace = false;
  std::string log_file;

  StreamingOptions streaming;

  // Accepted for compatibility with the blog post's configs, then ignored (with one log line):
  // behind ftgate the brokers need no routes.
  bool cluster_block_seen = false;
};

}  // namespace ftgate::broker
