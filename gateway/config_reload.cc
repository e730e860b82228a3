#include "gateway/config_reload.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/net/address.h"
#include "gateway/active_tracker.h"
#include "gateway/gateway_server.h"

namespace ftgate::gateway {
namespace {

std::string text(const std::string& s) { return s.empty() ? std::string("\"\"") : s; }
std::string text(int64_t v) { return std::to_string(v); }
std::string text(int v) { return std::to_string(v); }
std::string text(bool v) { return v ? "true" : "false"; }
std::string text(Millis v) { return std::to_string(v.count()) + "ms"; }
std::string text(FailoverOptions::Mode m) {
  return m == FailoverOptions::Mode::Migrate ? "migrate" : "close";
}
std::string text(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) out += (i == 0 ? "" : ", ") + list[i];
  return out + "]";
}
std::string address(const std::string& host, int port) {
  return net::joinHostPort(host, static_cast<uint16_t>(port));
}

// Appends "name old -> new" when the values differ; returns whether they did.
template <typename T>
bool compare(std::vector<std::string>& out, const char* name, const T& before, const T& after) {
  if (before == after) return false;
  out.push_back(std::string(name) + " " + text(before) + " -> " + text(after));
  return true;
}

const BackendOptions* findByName(const std::vector<BackendOptions>& list, const std::string& name) {
  for (const BackendOptions& b : list)
    if (b.name == name) return &b;
  return nullptr;
}

// Backends by name: added, removed, url or monitor changed; then whether the order of those
// in both lists changed (list order is the preference among probe-chosen backends).
bool compareBackends(std::vector<std::string>& out, const std::vector<BackendOptions>& before,
                     const std::vector<BackendOptions>& after) {
  const size_t first = out.size();
  std::vector<std::string> keptBefore, keptAfter;
  for (const BackendOptions& b : after) {
    const BackendOptions* old = findByName(before, b.name);
    if (old == nullptr) {
      out.push_back("backend " + b.name + " added (" + b.url + ")");
      continue;
    }
    keptAfter.push_back(b.name);
    if (old->url != b.url) out.push_back("backend " + b.name + " url " + old->url + " -> " + b.url);
    if (old->monitor_url != b.monitor_url)
      out.push_back("backend " + b.name + " monitor " + text(old->monitor_url) + " -> " +
                    text(b.monitor_url));
  }
  for (const BackendOptions& b : before) {
    if (findByName(after, b.name) == nullptr) {
      out.push_back("backend " + b.name + " removed (" + b.url + ")");
    } else {
      keptBefore.push_back(b.name);
    }
  }
  if (keptBefore != keptAfter)
    out.push_back("backend order " + text(keptBefore) + " -> " + text(keptAfter));
  return out.size() != first;
}

void setLogLevel(const GatewayOptions& o) {
  if (o.trace) {
    spdlog::set_level(spdlog::level::trace);
  } else if (o.debug) {
    spdlog::set_level(spdlog::level::debug);
  } else {
    spdlog::set_level(spdlog::level::info);
  }
}

}  // namespace

std::string ReloadPlan::summary() const {
  if (changes.empty() && needs_restart.empty()) return "no change";
  if (changes.empty())
    return "no change that applies live (" + std::to_string(needs_restart.size()) +
           " needing a restart)";
  std::string out;
  for (const std::string& c : changes) out += (out.empty() ? "" : "; ") + c;
  return out;
}

ReloadPlan planReload(const GatewayOptions& running, const GatewayOptions& loaded) {
  ReloadPlan plan;
  plan.applied = loaded;
  GatewayOptions& a = plan.applied;
  std::vector<std::string>& live = plan.changes;

  // Restart-only: the listeners are bound and the log file open. Keep what runs.
  const std::string listenBefore = address(running.listen_host, running.listen_port);
  const std::string listenAfter = address(loaded.listen_host, loaded.listen_port);
  compare(plan.needs_restart, "listen", listenBefore, listenAfter);
  a.listen_host = running.listen_host;
  a.listen_port = running.listen_port;
  const std::string httpBefore = address(running.http_host, running.http_port);
  const std::string httpAfter = address(loaded.http_host, loaded.http_port);
  compare(plan.needs_restart, "http", httpBefore, httpAfter);
  a.http_host = running.http_host;
  a.http_port = running.http_port;
  compare(plan.needs_restart, "logfile", running.log_file, loaded.log_file);
  a.log_file = running.log_file;
  a.config_file = running.config_file;

  plan.backends_changed = compareBackends(live, running.backends, loaded.backends);
  plan.ft_dir_changed = compare(live, "ft.dir", running.ft_dir, loaded.ft_dir);
  bool probe = false;
  probe |= compare(live, "probe.interval", running.probe.interval, loaded.probe.interval);
  probe |= compare(live, "probe.timeout", running.probe.timeout, loaded.probe.timeout);
  probe |= compare(live, "probe.rise", running.probe.rise, loaded.probe.rise);
  probe |= compare(live, "probe.fall", running.probe.fall, loaded.probe.fall);
  plan.probe_changed = probe;

  compare(live, "max_payload", running.max_payload, loaded.max_payload);
  compare(live, "max_control_line", running.max_control_line, loaded.max_control_line);
  compare(live, "max_connections", running.max_connections, loaded.max_connections);
  compare(live, "connect_hold", running.connect_hold, loaded.connect_hold);
  compare(live, "failover.mode", running.failover.mode, loaded.failover.mode);
  compare(live, "failover.hold", running.failover.hold, loaded.failover.hold);
  compare(live, "failover.buffer", running.failover.buffer, loaded.failover.buffer);
  compare(live, "failover.stan_pub_prefixes", running.failover.stan_pub_prefixes,
          loaded.failover.stan_pub_prefixes);
  compare(live, "write_high_watermark", running.write_high_watermark, loaded.write_high_watermark);
  compare(live, "write_low_watermark", running.write_low_watermark, loaded.write_low_watermark);
  compare(live, "write_hard_cap", running.write_hard_cap, loaded.write_hard_cap);
  compare(live, "lame_duck_duration", running.lame_duck_duration, loaded.lame_duck_duration);
  bool logging = false;
  logging |= compare(live, "debug", running.debug, loaded.debug);
  logging |= compare(live, "trace", running.trace, loaded.trace);
  plan.logging_changed = logging;
  return plan;
}

ConfigReloader::ConfigReloader(GatewayOptions& running, ActiveTracker& tracker,
                               GatewayServer& server, Loader loader,
                               std::chrono::system_clock::time_point loadedAt)
    : running_(running), tracker_(tracker), server_(server), loader_(std::move(loader)) {
  stats_.config_load_time = loadedAt;
}

bool ConfigReloader::reload() {
  spdlog::info("Reloading the configuration{}", running_.config_file.empty()
                                                    ? std::string(" (no file: flags only)")
                                                    : " from " + running_.config_file);
  GatewayOptionsLoad load = loader_();
  if (!load.shouldRun()) {
    ++stats_.reload_failures;
    if (load.errors.empty()) load.errors.push_back("the options asked for no server to run");
    spdlog::error("Configuration reload refused ({} error{}); keeping the running configuration",
                  load.errors.size(), load.errors.size() == 1 ? "" : "s");
    for (const std::string& e : load.errors) spdlog::error("{}", e);
    return false;
  }
  for (const std::string& w : load.warnings) spdlog::warn("{}", w);

  ReloadPlan plan = planReload(running_, load.options);
  for (const std::string& r : plan.needs_restart)
    spdlog::warn("Reload: {} needs a restart; keeping the running value", r);
  // In place, on the loop thread: see the header for why this is safe.
  running_ = std::move(plan.applied);
  if (plan.logging_changed) setLogLevel(running_);
  if (plan.trackerChanged()) tracker_.reconfigure(plan.ft_dir_changed);
  const size_t updated = server_.optionsReloaded();
  ++stats_.reloads;
  stats_.config_load_time = std::chrono::system_clock::now();
  spdlog::info(
      "Configuration reloaded: {}{}", plan.summary(),
      updated > 0 ? " (" + std::to_string(updated) + " live sessions updated)" : std::string());
  return true;
}

}  // namespace ftgate::gateway
