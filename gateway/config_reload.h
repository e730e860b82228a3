// ConfigReload: ftgate's SIGHUP. Reads the options again exactly as at start (the config file,
// then the flags given on the command line over it) and validates them as `--check` does. A
// configuration that does not validate is refused: every error is logged (file:line:col) and
// the running configuration stays. One that validates is applied without dropping sessions:
//
//   applies live        backends (added, removed, url or monitor changed, order), probe
//                       interval/timeout/rise/fall, ft dir, max_payload, max_control_line,
//                       max_connections, connect_hold, failover mode/hold/buffer/stan prefixes,
//                       write watermarks and hard cap, lame_duck_duration, debug/trace
//   needs a restart     listen, http, logfile: logged, and kept as they are (as nats-server
//                       does for its options that cannot change at run time)
//
// Where each live setting takes effect: the tracker re-reads backends, probes and the ft dir at
// once (a removed or re-addressed active makes sessions move exactly as on a failover; sessions
// on a backend that stays active are untouched); sessions read limits when they use them, so
// new sessions, new backend connections and new switches get the new values, and live sessions
// take the new max_payload / max_control_line for their next frames when the session layer
// supports it (GatewayServer::optionsReloaded).
//
// Why the options are updated in place rather than swapped: GatewayServer, every session (through
// SessionContext) and ActiveTracker hold `const GatewayOptions&` to one object and read its
// fields when they use them. All of them run on the loop thread, and SIGHUP is delivered there
// too (SignalWatcher), so assigning the new values into that same object between two callbacks
// is never seen half-done, and no reference can dangle: the object itself never moves or dies.
// Nobody keeps a pointer into its vectors across callbacks (the tracker copies what it probes).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gateway/monitor_render.h"
#include "gateway/options.h"
#include "gateway/options_loader.h"

namespace ftgate::gateway {

class ActiveTracker;
class GatewayServer;

// What a reload changes, and what of it can apply to the running gateway.
struct ReloadPlan {
  // The options to run with: the loaded ones, with the restart-only settings as they run now.
  GatewayOptions applied;
  // One entry per live change, e.g. "max_payload 1048576 -> 1024", "backend b added".
  std::vector<std::string> changes;
  // One entry per restart-only change, e.g. "listen 0.0.0.0:4222 -> 0.0.0.0:5222".
  std::vector<std::string> needs_restart;

  bool backends_changed = false;  // added, removed, url or monitor changed, or reordered
  bool probe_changed = false;     // interval, timeout, rise, fall
  bool ft_dir_changed = false;
  bool logging_changed = false;  // debug / trace

  // The tracker must re-read its options (ActiveTracker::reconfigure).
  [[nodiscard]] bool trackerChanged() const {
    return backends_changed || probe_changed || ft_dir_changed;
  }
  [[nodiscard]] bool empty() const { return changes.empty() && needs_restart.empty(); }
  // One line for the log: the live changes joined with "; ", or "no change" (saying how many
  // restart-only changes there were when there were some).
  [[nodiscard]] std::string summary() const;
};

// Compares the running options with freshly loaded (valid) ones. Pure.
[[nodiscard]] ReloadPlan planReload(const GatewayOptions& running, const GatewayOptions& loaded);

// Performs reloads for main: load, refuse or apply, count, log.
class ConfigReloader {
 public:
  // Reads the options again the way they were read at start (main: loadGatewayOptions with the
  // process's argv, so flags still override the file).
  using Loader = std::function<GatewayOptionsLoad()>;

  // `running` is the one options object the tracker and the server hold by reference; it, the
  // tracker and the server must outlive the reloader. `loadedAt`: when `running` was read.
  ConfigReloader(GatewayOptions& running, ActiveTracker& tracker, GatewayServer& server,
                 Loader loader, std::chrono::system_clock::time_point loadedAt);

  // One SIGHUP: loads, and either refuses (errors logged at error level, failure counted,
  // nothing changed) or applies the plan (restart-only changes logged, one info line saying
  // what changed or "no change", reload counted). Returns true when the new options apply. On
  // the loop thread.
  bool reload();

  [[nodiscard]] const ReloadStats& stats() const { return stats_; }

 private:
  GatewayOptions& running_;
  ActiveTracker& tracker_;
  GatewayServer& server_;
  Loader loader_;
  ReloadStats stats_;
};

}  // namespace ftgate::gateway
