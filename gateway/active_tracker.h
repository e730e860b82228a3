// ActiveTracker: ftgate's answer to "which broker is active, at which epoch", kept current on
// the loop from three signals (architecture.md): the FT owner record + lock probe of `ft.dir`
// (polled every probe interval, faster while no healthy active is known), HTTP probes of every
// backend's monitor, and data-path failures reported by sessions. The judgement itself is the
// pure ActiveDecision; this class owns the timers, the HTTP client and the file reads, logs
// every change once (old → new, epoch, which signal, detection time) and tells observers.
//
// Probes: GET <monitor>/streaming/isFTActive — 200 active, 404 means a plain nats-server (then
// GET /healthz: 200 healthy), any other answer (204) is followed by GET /streaming/serverz:
// state STANDALONE (a streaming server without an FT group) is healthy, anything else standby;
// no answer within probe.timeout is a failure. Rounds start every probe.interval plus up to 10%
// jitter; a backend whose previous probe is still out is skipped. Health requests only read the
// cached state.
//
// Reload: `options` is held by reference and may be updated in place between loop callbacks
// (config_reload.h); reconfigure() then takes the new backends, probe settings and ft dir.
//
// Single-threaded: every call on the loop thread. Observers are never called from inside
// reportDataPathFailure() (the re-evaluation runs from the loop right after).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/http_client.h"
#include "common/net/event_loop.h"
#include "common/net/timer.h"
#include "gateway/active_decision.h"
#include "gateway/options.h"
#include "gateway/upstream_selector.h"

namespace ftgate::gateway {

// Everything /healthz, /backendz, /varz and /metrics show about the tracker.
struct TrackerSnapshot {
  std::optional<ActiveBackend> active;
  uint64_t epoch = 0;
  bool healthy = false;
  std::string health_error;  // "no active backend: ..." when !healthy
  std::vector<BackendView> backends;
  uint64_t failovers = 0;
  std::optional<uint64_t> last_failover_detection_ms;
  std::string ft_dir;     // empty without ft { dir }
  std::string ft_status;  // the FT signal's verdict in words
  uint64_t max_record_epoch = 0;
  uint64_t now_ms = 0;  // the loop clock, to turn last_probe_at_ms into an age
};

class ActiveTracker final : public UpstreamSelector {
 public:
  // `options` must outlive the tracker.
  ActiveTracker(net::EventLoop& loop, const GatewayOptions& options);
  ~ActiveTracker() override;
  ActiveTracker(const ActiveTracker&) = delete;
  ActiveTracker& operator=(const ActiveTracker&) = delete;

  // Starts polling: the first round runs on the next loop iteration. Call once.
  void start();
  // Stops polling and cancels outstanding probes. Idempotent.
  void stop();
  // Runs a round (FT read + probes) on the next loop iteration; coalesces repeated calls.
  void probeSoon();
  // After the options were updated in place by a reload: re-reads backends, probe settings and
  // the ft dir. Backends that stay keep their probe state and their ActiveBackend::index, so
  // the active stays active unless it was removed or re-addressed (then observers hear of the
  // change at once, as on a failover). Probes in flight are cancelled and a round runs soon,
  // the next ones at the new interval. `ftDirChanged`: the FT verdict is forgotten.
  void reconfigure(bool ftDirChanged);

  [[nodiscard]] std::optional<ActiveBackend> active() const override;
  void reportDataPathFailure(size_t backend_index, std::string_view reason) override;
  size_t addObserver(ChangeCallback callback) override;
  void removeObserver(size_t token) override;

  [[nodiscard]] TrackerSnapshot snapshot() const;
  [[nodiscard]] uint64_t probesSent() const { return probesSent_; }

 private:
  void runRound();
  void scheduleNextRound();
  void scheduleFastFtPoll();
  void pollFt();
  void probe(size_t index);
  // One request of a probe: GET <base><path>. A transport failure finishes the probe as Down;
  // otherwise `judge` either fills the verdict (returns true: the probe finishes) or starts the
  // next request itself (returns false).
  using ProbeJudge = std::function<bool(const http::HttpResult& answer, ProbeResult& result)>;
  void probeStep(size_t index, uint64_t startedMs, const std::string& base, std::string path,
                 ProbeJudge judge);
  void finishProbe(size_t index, uint64_t startedMs, ProbeResult result);
  void apply(const std::optional<ActiveChange>& change);
  [[nodiscard]] uint64_t nowMs();

  net::EventLoop& loop_;
  const GatewayOptions& options_;
  ActiveDecision decision_;
  http::HttpClient http_;
  net::Timer roundTimer_;
  net::Timer soonTimer_;
  net::Timer ftFastTimer_;
  std::vector<bool> probing_;    // a probe of backend i is outstanding
  std::vector<bool> plainNats_;  // backend i answered 404 to isFTActive last time
  std::map<size_t, ChangeCallback> observers_;
  size_t nextObserver_ = 1;
  std::string lastFtStatus_;
  std::mt19937 jitter_;
  uint64_t probesSent_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace ftgate::gateway
