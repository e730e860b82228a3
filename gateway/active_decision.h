// ActiveDecision: the pure judgement behind ActiveTracker — "which configured backend is
// active, at which epoch" — fed with signals and a clock value, no sockets, no timers.
//
// Signals (architecture.md, "finding the active broker"):
//  1. FT observations: the owner record and a lock probe of the shared store. When the lock is
//     held and the record names a CONFIGURED backend at an epoch not lower than any seen, that
//     backend is active (unless probes made after that find it down: then the record is stale
//     and the probes decide). A held lock whose record cannot be mapped, is unreadable or is
//     older than seen is no news (the previous verdict stands); a lock file that exists and is
//     free means "nobody is active". Records naming unknown servers are ignored.
//  2. Probe results per backend: Active (/streaming/isFTActive 200), Standby (any other answer
//     from isFTActive), Healthy (plain nats-server: isFTActive 404, /healthz 200; or a
//     streaming server without FT group: isFTActive 204, serverz state STANDALONE), Down. Rise
//     and fall apply like HAProxy's; the first result after start decides at once.
//     Without an FT verdict: the first backend in list order that is up and Active, else the
//     first that is up and Healthy (so several gateways in front of plain nats-servers agree).
//  3. Data-path failures: the backend becomes suspect; its next failed probe takes it down at
//     once (fall is bypassed), a successful one clears the suspicion.
//
// Epochs never go down: every change to a different backend gets
// max(previous epoch + 1, record epoch) — equal to the record's epoch in an ftbroker group.
// Detection time of a change = now − the first failing signal about the previous active.
//
// Backend ids: ActiveBackend::index is a backend's id, not its list position. At construction
// id == position; a reload (reconfigure) keeps the id of every backend that stays (same name,
// same url) and gives new or re-addressed backends fresh ids, never reused. So sessions relaying
// to a backend that stays active see the same ActiveBackend after a reload and are untouched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/ft/ft_lock.h"
#include "common/ft/owner_record.h"
#include "gateway/options.h"
#include "gateway/upstream_selector.h"

namespace ftgate::gateway {

enum class ProbeVerdict { Unknown, Active, Standby, Healthy, Down };
[[nodiscard]] const char* probeVerdictName(ProbeVerdict verdict);

struct ProbeResult {
  ProbeVerdict verdict = ProbeVerdict::Unknown;  // Unknown is never fed; Down = failure
  int status = 0;    // HTTP status of the deciding request, 0 when none arrived
  std::string path;  // the deciding request's path
  uint64_t latency_ms = 0;
  std::string error;  // transport error text, or "HTTP 503" for an unhealthy answer
  [[nodiscard]] bool ok() const { return verdict != ProbeVerdict::Down; }
};

struct FtObservation {
  ft::OwnerRecordResult record;
  ft::LockProbeResult lock;
  bool lock_file_exists = false;
};

// What one backend looks like to the decision, for /backendz.
struct BackendView {
  std::string name, url, monitor_url;
  std::string state;       // "active", "standby", "up", "down", "unknown"
  std::optional<bool> up;  // stable state after rise/fall; nullopt before the first probe
  ProbeResult last_probe;
  uint64_t last_probe_at_ms = 0;  // clock value; 0 = never probed
  int consecutive_ok = 0, consecutive_fail = 0;
  bool suspect = false;
  std::string last_data_path_error;
};

struct ActiveChange {
  std::optional<ActiveBackend> from, to;
  uint64_t epoch = 0;
  std::string reason;                    // which signal decided
  std::optional<uint64_t> detection_ms;  // first failing signal → now; nullopt when none
};

class ActiveDecision {
 public:
  // `localHosts`: host strings that mean this machine ("127.0.0.1", "localhost", interface
  // addresses), so a record's nats://10.0.0.5:4221 matches a configured nats://127.0.0.1:4221.
  ActiveDecision(std::vector<BackendOptions> backends, bool ftMode, int rise, int fall,
                 std::set<std::string> localHosts = {"127.0.0.1", "localhost", "::1", "0.0.0.0",
                                                     "::"},
                 std::string localHostName = {});

  // Each returns the change of active() the signal caused, if any.
  std::optional<ActiveChange> onProbe(size_t index, const ProbeResult& result, uint64_t nowMs);
  std::optional<ActiveChange> onFtObservation(const FtObservation& observation, uint64_t nowMs);
  // Never changes active() by itself (the caller probes at once and feeds the result).
  void onDataPathFailure(size_t index, std::string_view reason, uint64_t nowMs);

  // A configuration reload: the new backend list, FT mode and thresholds. A backend whose name
  // (or, renamed, whose url) matches a current one with the same url keeps its id and probe
  // state; a new one, or one whose url changed, starts unknown under a fresh id. Monitor url
  // changes keep the state (the next probe asks the new url). `ftDirChanged`: the FT verdict
  // and the highest record epoch seen are forgotten (another group, other epochs); otherwise
  // the verdict follows its backend, or is dropped with it. Epochs still never go down.
  // Returns the change of active() this causes (the active removed or re-addressed, or another
  // backend now first in list order), if any.
  std::optional<ActiveChange> reconfigure(std::vector<BackendOptions> backends, bool ftMode,
                                          bool ftDirChanged, int rise, int fall, uint64_t nowMs);
  // The list position of the backend with id `id` (ActiveBackend::index), if it is configured.
  [[nodiscard]] std::optional<size_t> positionOf(size_t id) const;

  [[nodiscard]] const std::optional<ActiveBackend>& active() const { return active_; }
  [[nodiscard]] uint64_t epoch() const { return epoch_; }
  // The active is known and its last probe / data-path result was ok. `why` says otherwise.
  [[nodiscard]] bool healthy(std::string* why = nullptr) const;
  // True while the active is unknown or failing: the tracker polls faster then.
  [[nodiscard]] bool degraded() const;

  [[nodiscard]] std::vector<BackendView> backends() const;
  [[nodiscard]] uint64_t failovers() const { return failovers_; }
  [[nodiscard]] std::optional<uint64_t> lastDetectionMs() const { return lastDetectionMs_; }
  [[nodiscard]] uint64_t maxRecordEpoch() const { return maxRecordEpoch_; }
  // The FT signal's current verdict text, for logs and /backendz ("" without ft dir).
  [[nodiscard]] const std::string& ftStatus() const { return ftStatus_; }
  // Which configured backend a record names, if any.
  [[nodiscard]] std::optional<size_t> backendForRecord(const ft::OwnerRecord& record) const;

 private:
  struct Backend {
    size_t id = 0;  // ActiveBackend::index; see "Backend ids" above
    BackendOptions options;
    std::string host;  // from url
    uint16_t port = 0;
    std::string monitorHostPort;
    std::optional<bool> up;
    ProbeVerdict role = ProbeVerdict::Unknown;  // verdict of the last successful probe
    ProbeResult last;
    uint64_t lastAt = 0;
    int okCount = 0, failCount = 0;
    bool suspect = false;
    std::string dataPathError;
  };
  enum class FtVerdict { None, Nobody, Backend };

  [[nodiscard]] static Backend makeBackend(BackendOptions options, size_t id);
  // The list position of the active backend; nullopt without one, or while a reload removed it.
  [[nodiscard]] std::optional<size_t> activePosition() const;
  [[nodiscard]] bool sameHost(const std::string& a, const std::string& b) const;
  [[nodiscard]] bool probeSaysNotActive(size_t index) const;
  [[nodiscard]] bool lastSignalOk(size_t index) const;
  void noteFailure(size_t index, uint64_t nowMs);
  std::optional<ActiveChange> evaluate(uint64_t nowMs);

  std::vector<Backend> backends_;
  bool ftMode_;
  int rise_, fall_;
  std::set<std::string> localHosts_;
  std::string localHostName_;

  FtVerdict ftVerdict_ = FtVerdict::None;
  size_t ftBackend_ = 0;
  uint64_t ftEpoch_ = 0;
  uint64_t ftSinceMs_ = 0;  // when the current FT verdict first appeared
  uint64_t maxRecordEpoch_ = 0;
  std::string ftStatus_;

  std::optional<ActiveBackend> active_;
  std::optional<size_t> lastChosen_;  // id of the last non-null choice, for epoch continuity
  size_t nextId_ = 0;
  uint64_t epoch_ = 0;
  std::optional<uint64_t> firstFailureMs_;
  uint64_t failovers_ = 0;
  std::optional<uint64_t> lastDetectionMs_;
};

}  // namespace ftgate::gateway
