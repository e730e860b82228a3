#include "gateway/active_decision.h"

#include <algorithm>
#include <utility>

#include "common/net/url.h"

namespace ftgate::gateway {

const char* probeVerdictName(ProbeVerdict verdict) {
  switch (verdict) {
    case ProbeVerdict::Unknown:
      return "unknown";
    case ProbeVerdict::Active:
      return "active";
    case ProbeVerdict::Standby:
      return "standby";
    case ProbeVerdict::Healthy:
      return "healthy";
    case ProbeVerdict::Down:
      return "down";
  }
  return "unknown";
}

ActiveDecision::ActiveDecision(std::vector<BackendOptions> backends, bool ftMode, int rise,
                               int fall, std::set<std::string> localHosts,
                               std::string localHostName)
    : ftMode_(ftMode),
      rise_(std::max(rise, 1)),
      fall_(std::max(fall, 1)),
      localHosts_(std::move(localHosts)),
      localHostName_(std::move(localHostName)) {
  for (BackendOptions& options : backends)
    backends_.push_back(makeBackend(std::move(options), nextId_++));
}

ActiveDecision::Backend ActiveDecision::makeBackend(BackendOptions options, size_t id) {
  Backend b;
  b.id = id;
  if (auto url = net::parseUrl(options.url, 4222)) {
    b.host = url->host;
    b.port = url->port;
  }
  if (auto monitor = net::parseUrl(options.monitor_url, 80))
    b.monitorHostPort = monitor->hostPort();
  b.options = std::move(options);
  return b;
}

std::optional<size_t> ActiveDecision::positionOf(size_t id) const {
  for (size_t i = 0; i < backends_.size(); ++i)
    if (backends_[i].id == id) return i;
  return std::nullopt;
}

std::optional<size_t> ActiveDecision::activePosition() const {
  return active_ ? positionOf(active_->index) : std::nullopt;
}

std::optional<ActiveChange> ActiveDecision::reconfigure(std::vector<BackendOptions> backends,
                                                        bool ftMode, bool ftDirChanged, int rise,
                                                        int fall, uint64_t nowMs) {
  const std::optional<size_t> ftBackendId =
      ftVerdict_ == FtVerdict::Backend && ftBackend_ < backends_.size()
          ? std::optional<size_t>(backends_[ftBackend_].id)
          : std::nullopt;
  std::vector<Backend> old = std::move(backends_);
  std::vector<bool> taken(old.size(), false);
  auto find = [&](const BackendOptions& wanted) -> std::optional<size_t> {
    for (size_t i = 0; i < old.size(); ++i)
      if (!taken[i] && old[i].options.name == wanted.name) return i;
    for (size_t i = 0; i < old.size(); ++i)  // renamed, same address
      if (!taken[i] && old[i].options.url == wanted.url) return i;
    return std::nullopt;
  };
  backends_.clear();
  for (BackendOptions& options : backends) {
    std::optional<size_t> match = find(options);
    if (match && old[*match].options.url == options.url) {
      taken[*match] = true;
      Backend kept = std::move(old[*match]);
      if (auto monitor = net::parseUrl(options.monitor_url, 80)) {
        kept.monitorHostPort = monitor->hostPort();
      } else {
        kept.monitorHostPort.clear();
      }
      kept.options = std::move(options);
      backends_.push_back(std::move(kept));
    } else {
      // A new backend, or the same name at another address: another server, judged afresh.
      if (match) taken[*match] = true;
      backends_.push_back(makeBackend(std::move(options), nextId_++));
    }
  }

  ftMode_ = ftMode;
  rise_ = std::max(rise, 1);
  fall_ = std::max(fall, 1);
  if (!ftMode_ || ftDirChanged) {
    ftVerdict_ = FtVerdict::None;
    ftBackend_ = 0;
    ftEpoch_ = 0;
    ftSinceMs_ = 0;
    maxRecordEpoch_ = 0;
    ftStatus_.clear();
  } else if (ftVerdict_ == FtVerdict::Backend) {
    if (auto position = ftBackendId ? positionOf(*ftBackendId) : std::nullopt) {
      ftBackend_ = *position;
    } else {
      ftVerdict_ = FtVerdict::None;  // its backend is gone: the next FT poll decides again
      ftBackend_ = 0;
    }
  }
  if (active_ && !activePosition() && !firstFailureMs_) firstFailureMs_ = nowMs;
  return evaluate(nowMs);
}

bool ActiveDecision::sameHost(const std::string& a, const std::string& b) const {
  return a == b || (localHosts_.count(a) != 0 && localHosts_.count(b) != 0);
}

std::optional<size_t> ActiveDecision::backendForRecord(const ft::OwnerRecord& record) const {
  if (!record.server.name.empty()) {
    for (size_t i = 0; i < backends_.size(); ++i)
      if (backends_[i].options.name == record.server.name) return i;
  }
  if (auto url = net::parseUrl(record.server.client_url, 4222)) {
    for (size_t i = 0; i < backends_.size(); ++i)
      if (backends_[i].port == url->port && sameHost(backends_[i].host, url->host)) return i;
  }
  if (auto monitor = net::parseUrl(record.server.monitor_url, 80)) {
    for (size_t i = 0; i < backends_.size(); ++i) {
      auto mine = net::parseUrl(backends_[i].options.monitor_url, 80);
      if (mine && mine->port == monitor->port && sameHost(mine->host, monitor->host)) return i;
    }
  }
  return std::nullopt;
}

void ActiveDecision::noteFailure(size_t index, uint64_t nowMs) {
  if (activePosition() == index && !firstFailureMs_) firstFailureMs_ = nowMs;
}

bool ActiveDecision::lastSignalOk(size_t index) const {
  const Backend& b = backends_[index];
  return !b.suspect && (b.lastAt == 0 || b.last.ok());
}

// The probes contradict an FT verdict naming `index`: the backend was found down after the
// verdict appeared (a dead broker whose record stays behind, e.g. in a mixed group where the
// new lock holder writes no record). Older probe results never overrule a newer record.
bool ActiveDecision::probeSaysNotActive(size_t index) const {
  const Backend& b = backends_[index];
  return b.up.has_value() && !*b.up && b.lastAt >= ftSinceMs_;
}

std::optional<ActiveChange> ActiveDecision::onProbe(size_t index, const ProbeResult& result,
                                                    uint64_t nowMs) {
  if (index >= backends_.size()) return std::nullopt;
  Backend& b = backends_[index];
  b.last = result;
  b.lastAt = nowMs;
  if (result.ok()) {
    b.okCount++;
    b.failCount = 0;
    b.suspect = false;
    b.role = result.verdict;
    if (!b.up.value_or(false)) b.up = !b.up.has_value() || b.okCount >= rise_;
    if (result.verdict == ProbeVerdict::Standby) noteFailure(index, nowMs);
  } else {
    b.failCount++;
    b.okCount = 0;
    noteFailure(index, nowMs);
    if (!b.up.has_value()) {
      b.up = false;
    } else if (*b.up && (b.failCount >= fall_ || b.suspect)) {
      b.up = false;
    }
    if (!*b.up) b.suspect = false;
  }
  return evaluate(nowMs);
}

void ActiveDecision::onDataPathFailure(size_t index, std::string_view reason, uint64_t nowMs) {
  if (index >= backends_.size()) return;
  Backend& b = backends_[index];
  b.suspect = true;
  b.dataPathError = std::string(reason);
  noteFailure(index, nowMs);
}

std::optional<ActiveChange> ActiveDecision::onFtObservation(const FtObservation& observation,
                                                            uint64_t nowMs) {
  if (!ftMode_) return std::nullopt;
  const ft::LockProbeResult& lock = observation.lock;
  const ft::OwnerRecordResult& read = observation.record;
  // "No verdict" (unreadable, stale or foreign record, lock probe error) is no news: the
  // previous verdict stands, and the probes judge whether its backend is still alive.
  FtVerdict verdict = FtVerdict::None;
  size_t named = 0;
  if (!lock.error.empty()) {
    ftStatus_ = "FT lock probe failed: " + lock.error;
  } else if (!lock.held) {
    if (observation.lock_file_exists) {
      verdict = FtVerdict::Nobody;
      ftStatus_ = "the FT lock is free: no broker holds it";
    } else {
      ftStatus_ = "no FT lock file yet";
    }
  } else if (read.status == ft::OwnerRecordStatus::Missing) {
    ftStatus_ = "the FT lock is held but no owner record exists yet";
  } else if (!read.ok()) {
    ftStatus_ = "the owner record cannot be read: " + read.error;
  } else if (read.record.epoch < maxRecordEpoch_) {
    ftStatus_ = "the owner record's epoch " + std::to_string(read.record.epoch) +
                " is lower than epoch " + std::to_string(maxRecordEpoch_) + " already seen";
  } else {
    maxRecordEpoch_ = read.record.epoch;
    const ft::ServerIdentity& who = read.record.server;
    const bool holderKnown =
        lock.holder_pid != 0 && !localHostName_.empty() && who.host == localHostName_;
    if (holderKnown && who.pid != lock.holder_pid) {
      ftStatus_ = "the FT lock holder (pid " + std::to_string(lock.holder_pid) +
                  ") has not written its owner record yet";
    } else if (auto index = backendForRecord(read.record)) {
      verdict = FtVerdict::Backend;
      named = *index;
      ftStatus_ = "owner record names " + backends_[*index].options.name + " at epoch " +
                  std::to_string(read.record.epoch) + " and the lock is held";
    } else {
      ftStatus_ = "owner record names an unknown server (name \"" + who.name + "\", url \"" +
                  who.client_url + "\", epoch " + std::to_string(read.record.epoch) +
                  "): ignored, only configured backends are chosen";
    }
  }
  if (verdict != FtVerdict::None) {
    const uint64_t epoch = verdict == FtVerdict::Backend ? read.record.epoch : 0;
    if (verdict != ftVerdict_ || named != ftBackend_ || epoch != ftEpoch_) ftSinceMs_ = nowMs;
    ftVerdict_ = verdict;
    ftBackend_ = named;
    ftEpoch_ = epoch;
  }
  if (const auto position = activePosition();
      position && (ftVerdict_ == FtVerdict::Nobody ||
                   (ftVerdict_ == FtVerdict::Backend && ftBackend_ != *position)))
    noteFailure(*position, nowMs);
  return evaluate(nowMs);
}

std::optional<ActiveChange> ActiveDecision::evaluate(uint64_t nowMs) {
  std::optional<size_t> chosen;
  std::optional<uint64_t> recordEpoch;
  std::string reason;
  bool decided = false;
  if (ftVerdict_ == FtVerdict::Backend) {
    if (!probeSaysNotActive(ftBackend_)) {
      chosen = ftBackend_;
      recordEpoch = ftEpoch_;
      reason = "FT " + ftStatus_;
      decided = true;
    }
  } else if (ftVerdict_ == FtVerdict::Nobody) {
    reason = "FT: " + ftStatus_;
    decided = true;
  }
  if (!decided) {
    for (ProbeVerdict wanted : {ProbeVerdict::Active, ProbeVerdict::Healthy}) {
      for (size_t i = 0; i < backends_.size() && !chosen; ++i) {
        const Backend& b = backends_[i];
        if (b.up.value_or(false) && b.role == wanted) chosen = i;
      }
      if (chosen) {
        const Backend& b = backends_[*chosen];
        reason = "probe: " + b.options.name + " is " + probeVerdictName(wanted) + " (" +
                 (b.last.path.empty() ? std::string("-") : b.last.path) + " " +
                 std::to_string(b.last.status) + ")";
        if (ftMode_ && !ftStatus_.empty()) reason += "; " + ftStatus_;
        break;
      }
    }
    if (!chosen) reason = ftMode_ && !ftStatus_.empty() ? ftStatus_ : "no backend is up and active";
  }

  std::optional<ActiveBackend> next;
  uint64_t nextEpoch = epoch_;
  if (chosen) {
    if (lastChosen_ == backends_[*chosen].id) {
      nextEpoch = std::max(epoch_, recordEpoch.value_or(0));
    } else {
      nextEpoch = std::max(epoch_ + 1, recordEpoch.value_or(0));
    }
    const Backend& b = backends_[*chosen];
    next = ActiveBackend{b.id, b.options.name, b.host, b.port, nextEpoch};
  }

  if (next == active_) {
    if (const auto position = activePosition();
        position && lastSignalOk(*position) && ftVerdict_ != FtVerdict::Nobody)
      firstFailureMs_.reset();
    return std::nullopt;
  }

  ActiveChange change;
  change.from = active_;
  change.to = next;
  change.reason = reason;
  if (next) {
    epoch_ = nextEpoch;
    change.epoch = nextEpoch;
    if (firstFailureMs_) change.detection_ms = nowMs - *firstFailureMs_;
    if (lastChosen_ && *lastChosen_ != backends_[*chosen].id) {
      failovers_++;
      if (change.detection_ms) lastDetectionMs_ = change.detection_ms;
    }
    lastChosen_ = backends_[*chosen].id;
    firstFailureMs_.reset();
  } else {
    change.epoch = epoch_;
    if (!firstFailureMs_) firstFailureMs_ = nowMs;
  }
  active_ = next;
  return change;
}

bool ActiveDecision::healthy(std::string* why) const {
  if (!active_) {
    if (why != nullptr) {
      *why = "no active backend: ";
      if (ftMode_ && !ftStatus_.empty()) {
        *why += ftStatus_;
      } else {
        *why += "no backend is up and active";
      }
    }
    return false;
  }
  const std::optional<size_t> position = activePosition();
  if (!position) {
    if (why != nullptr) *why = "no active backend: " + active_->name + " is no longer configured";
    return false;
  }
  if (!lastSignalOk(*position)) {
    if (why != nullptr) {
      const Backend& b = backends_[*position];
      *why = "no active backend: " + b.options.name + " is unreachable (" +
             (b.suspect ? "data path: " + b.dataPathError : b.last.error) + ")";
    }
    return false;
  }
  return true;
}

bool ActiveDecision::degraded() const { return !active_ || firstFailureMs_.has_value(); }

std::vector<BackendView> ActiveDecision::backends() const {
  std::vector<BackendView> views;
  for (size_t i = 0; i < backends_.size(); ++i) {
    const Backend& b = backends_[i];
    BackendView v;
    v.name = b.options.name;
    v.url = b.options.url;
    v.monitor_url = b.options.monitor_url;
    if (active_ && active_->index == b.id) {
      v.state = "active";
    } else if (!b.up.has_value()) {
      v.state = "unknown";
    } else if (!*b.up) {
      v.state = "down";
    } else {
      v.state = b.role == ProbeVerdict::Standby ? "standby" : "up";
    }
    v.up = b.up;
    v.last_probe = b.last;
    v.last_probe_at_ms = b.lastAt;
    v.consecutive_ok = b.okCount;
    v.consecutive_fail = b.failCount;
    v.suspect = b.suspect;
    v.last_data_path_error = b.dataPathError;
    views.push_back(std::move(v));
  }
  return views;
}

}  // namespace ftgate::gateway
