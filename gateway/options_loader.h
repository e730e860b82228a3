// ftgate's command line and config file, turned into one validated GatewayOptions.
//
// Order, as in nats-server: defaults (options.h), then the config file (-c), then only the
// flags the user actually gave. Go's spellings work too (`-listen 0.0.0.0:4222`).
//
//   listen: "0.0.0.0:4222"            # the one client address (or a bare port: 4222)
//   http: "0.0.0.0:8222"              # health and monitoring (http_port: 8222 also works)
//   backends: [
//     { name: a, url: "nats://127.0.0.1:4221", monitor: "http://127.0.0.1:8221" }
//   ]
//   ft { dir: "/opt/nats_state" }     # the FT group's shared store directory (optional)
//   probe { interval: 500ms, timeout: 300ms, rise: 1, fall: 2 }
//   failover { mode: migrate, hold: 10s, buffer: 8MB }
//   max_payload, max_control_line, max_connections, connect_hold, lame_duck_duration,
//   write_high_watermark, write_low_watermark, write_hard_cap, debug, trace, logfile
//
// Every problem is one line a user can act on: errors from the file carry its position
// (`gw.conf:4:12: expected a nats:// URL for "url", found ...`); flag errors name the flag.
// All errors are collected (not just the first), so `--check` lists them in one run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/conf/value.h"
#include "gateway/options.h"

namespace ftgate::gateway {

// Where each option from the config file was written ("listen", "backends.1.url", ...), so
// validation can point at the line that caused a problem. Flags erase their entries.
using GatewayOptionPositions = std::map<std::string, conf::Position>;

struct GatewayOptionsLoad {
  GatewayOptions options;
  std::vector<std::string> warnings;  // unknown keys etc., positioned; log as WRN
  std::vector<std::string> errors;    // each one line; print to stderr and exit with exitCode
  std::string output;                 // --help / --version / --check text for stdout
  int exitCode = 0;
  // True when ftgate should start (no error, no --help/--version/--check).
  [[nodiscard]] bool shouldRun() const { return errors.empty() && output.empty(); }
};

// The whole start-up sequence: flags, file, flags over file, validation.
[[nodiscard]] GatewayOptionsLoad loadGatewayOptions(int argc, const char* const* argv);

// Applies a parsed config tree to `options`; returns every positioned error found, appends
// warnings and records positions of what it set.
[[nodiscard]] std::vector<conf::Error> applyGatewayConfig(const conf::Value& root,
                                                          GatewayOptions& options,
                                                          GatewayOptionPositions& positions,
                                                          std::vector<std::string>& warnings);

// Checks the combination of options: at least one backend, URLs that parse, unique names,
// sane probe values, watermarks in order. Returns one line per problem, positioned at the file
// entry that caused it when known.
[[nodiscard]] std::vector<std::string> validateGatewayOptions(
    const GatewayOptions& options, const GatewayOptionPositions& positions);

// The --backend flag: `[NAME=]URL[,monitor=URL]`, e.g.
// `a=nats://127.0.0.1:4221,monitor=http://127.0.0.1:8221`. Without NAME the name is the URL's
// host:port. Returns nullopt and fills `error` when the text does not have that shape.
[[nodiscard]] std::optional<BackendOptions> parseBackendFlag(std::string_view text,
                                                             std::string& error);

// "host:port", "[::1]:port", ":port", a bare host or a bare port; false when malformed.
[[nodiscard]] bool splitListenAddress(std::string_view text, std::string& host, int& port);

}  // namespace ftgate::gateway
