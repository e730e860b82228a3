#include "gateway/active_tracker.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "common/ft/ft_lock.h"
#include "common/ft/owner_record.h"

namespace ftgate::gateway {
namespace {

using std::chrono::milliseconds;

// True when a /streaming/serverz body reports state STANDALONE (a streaming server without an
// FT group or cluster: it serves clients although isFTActive answers 204).
bool serverzSaysStandalone(std::string_view body) {
  const nlohmann::json serverz = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!serverz.is_object()) return false;
  const auto state = serverz.find("state");
  return state != serverz.end() && state->is_string() && *state == "STANDALONE";
}

// Host strings that mean this machine, so an owner record advertising a LAN address matches a
// backend configured as 127.0.0.1 (ftbroker advertises its first non-loopback address when
// bound to 0.0.0.0).
std::set<std::string> localHostNames() {
  std::set<std::string> hosts = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"};
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
      if (it->ifa_addr == nullptr) continue;
      char text[INET6_ADDRSTRLEN] = {};
      if (it->ifa_addr->sa_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(it->ifa_addr);
        if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) hosts.insert(text);
      } else if (it->ifa_addr->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(it->ifa_addr);
        if (::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)) != nullptr)
          hosts.insert(text);
      }
    }
    ::freeifaddrs(list);
  }
  if (std::string name =
          [] {
            char buf[256] = {};
            return ::gethostname(buf, sizeof(buf) - 1) == 0 ? std::string(buf) : std::string();
          }();
      !name.empty())
    hosts.insert(name);
  return hosts;
}

std::string hostName() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof(buf) - 1) == 0 ? std::string(buf) : std::string();
}

std::string describe(const std::optional<ActiveBackend>& b) {
  return b ? b->name : std::string("(none)");
}

}  // namespace

ActiveTracker::ActiveTracker(net::EventLoop& loop, const GatewayOptions& options)
    : loop_(loop),
      options_(options),
      decision_(options.backends, !options.ft_dir.empty(), options.probe.rise, options.probe.fall,
                localHostNames(), hostName()),
      http_(loop, 64 * 1024),
      roundTimer_(loop),
      soonTimer_(loop),
      ftFastTimer_(loop),
      probing_(options.backends.size(), false),
      plainNats_(options.backends.size(), false),
      jitter_(static_cast<uint32_t>(::getpid())) {}

ActiveTracker::~ActiveTracker() { stop(); }

void ActiveTracker::start() {
  if (started_) return;
  started_ = true;
  probeSoon();
  scheduleNextRound();
}

void ActiveTracker::stop() {
  if (stopped_) return;
  stopped_ = true;
  roundTimer_.close();
  soonTimer_.close();
  ftFastTimer_.close();
  http_.cancelAll();
}

uint64_t ActiveTracker::nowMs() {
  loop_.updateTime();
  return loop_.now();
}

void ActiveTracker::scheduleNextRound() {
  if (stopped_) return;
  const auto interval = options_.probe.interval.count();
  std::uniform_int_distribution<int64_t> spread(0, std::max<int64_t>(interval / 10, 0));
  roundTimer_.startOnce(milliseconds(interval + spread(jitter_)), [this] {
    runRound();
    scheduleNextRound();
  });
}

void ActiveTracker::probeSoon() {
  if (stopped_ || soonTimer_.armed()) return;
  soonTimer_.startOnce(milliseconds(0), [this] { runRound(); });
}

// While no healthy active is known, the owner record is re-read every fifth of the interval:
// a standby takes the lock within its ft_lock_interval and the record names it right after.
void ActiveTracker::scheduleFastFtPoll() {
  if (stopped_ || options_.ft_dir.empty() || ftFastTimer_.armed() || !decision_.degraded()) return;
  const auto fast = std::max<int64_t>(options_.probe.interval.count() / 5, 20);
  ftFastTimer_.startOnce(milliseconds(fast), [this] {
    pollFt();
    scheduleFastFtPoll();
  });
}

void ActiveTracker::runRound() {
  if (stopped_) return;
  pollFt();
  for (size_t i = 0; i < options_.backends.size(); ++i) probe(i);
  scheduleFastFtPoll();
}

void ActiveTracker::pollFt() {
  if (stopped_ || options_.ft_dir.empty()) return;
  FtObservation observation;
  // Read the lock before the record: a record read after a held lock can only be newer.
  observation.lock = ft::probeLock(options_.ft_dir);
  observation.record = ft::readOwnerRecord(options_.ft_dir);
  struct stat info {};
  const std::string lockPath = options_.ft_dir + "/" + ft::kLockFileName;
  observation.lock_file_exists = ::stat(lockPath.c_str(), &info) == 0;
  auto change = decision_.onFtObservation(observation, nowMs());
  if (decision_.ftStatus() != lastFtStatus_) {
    lastFtStatus_ = decision_.ftStatus();
    if (lastFtStatus_.find("unknown server") != std::string::npos) {
      spdlog::warn("FT {}: {}", options_.ft_dir, lastFtStatus_);
    } else {
      spdlog::debug("FT {}: {}", options_.ft_dir, lastFtStatus_);
    }
  }
  apply(change);
}

void ActiveTracker::probe(size_t index) {
  const BackendOptions& backend = options_.backends[index];
  if (stopped_ || backend.monitor_url.empty() || probing_[index]) return;
  probing_[index] = true;
  const uint64_t started = nowMs();
  std::string base = backend.monitor_url;
  while (!base.empty() && base.back() == '/') base.pop_back();

  auto healthz = [this, index, started, base] {
    probeStep(index, started, base, "/healthz",
              [](const http::HttpResult& answer, ProbeResult& result) {
                result.verdict = answer.status == 200 ? ProbeVerdict::Healthy : ProbeVerdict::Down;
                if (answer.status != 200) {
                  result.error = "HTTP " + std::to_string(answer.status) + " from /healthz";
                }
                return true;
              });
  };
  // After isFTActive said "not the FT active": a STANDALONE server (no FT group) serves
  // clients, so it counts as healthy, like a plain nats-server; anything else is a standby.
  auto serverzState = [this, index, started, base] {
    probeStep(index, started, base, "/streaming/serverz",
              [](const http::HttpResult& answer, ProbeResult& result) {
                const bool standalone = answer.status == 200 && serverzSaysStandalone(answer.body);
                result.verdict = standalone ? ProbeVerdict::Healthy : ProbeVerdict::Standby;
                return true;
              });
  };
  if (plainNats_[index]) {
    healthz();
    return;
  }
  probeStep(
      index, started, base, "/streaming/isFTActive",
      [this, index, healthz, serverzState](const http::HttpResult& answer, ProbeResult& result) {
        if (answer.status == 200) {
          result.verdict = ProbeVerdict::Active;
          return true;
        }
        if (answer.status == 404) {
          plainNats_[index] = true;  // a plain nats-server: ask /healthz from now on
          healthz();
        } else {
          // 204 from a standby, but also from a streaming server that runs without an
          // FT group: only its serverz state tells them apart.
          serverzState();
        }
        return false;
      });
}

void ActiveTracker::probeStep(size_t index, uint64_t startedMs, const std::string& base,
                              std::string path, ProbeJudge judge) {
  probesSent_++;
  const std::string url = base + path;
  http_.get(url, options_.probe.timeout,
            [this, index, startedMs, path = std::move(path),
             judge = std::move(judge)](const http::HttpResult& answer) {
              ProbeResult result;
              result.path = path;
              result.status = answer.status;
              if (!answer.ok()) {
                result.verdict = ProbeVerdict::Down;
                result.error = answer.error;
              } else if (!judge(answer, result)) {
                return;  // the next request carries the probe on
              }
              finishProbe(index, startedMs, std::move(result));
            });
}

void ActiveTracker::finishProbe(size_t index, uint64_t startedMs, ProbeResult result) {
  probing_[index] = false;
  const uint64_t now = nowMs();
  result.latency_ms = now - startedMs;
  // A backend that stops answering may come back as another kind of server.
  if (!result.ok()) plainNats_[index] = false;
  const std::optional<bool> before = decision_.backends()[index].up;
  auto change = decision_.onProbe(index, result, now);
  const BackendView after = decision_.backends()[index];
  if (after.up != before) {
    if (after.up.value_or(false)) {
      spdlog::info("Backend {} ({}) is up: {} {} answered {} in {}ms", after.name, after.url,
                   after.monitor_url, result.path, result.status, result.latency_ms);
    } else {
      spdlog::warn("Backend {} ({}) is down: {} {}", after.name, after.url, after.monitor_url,
                   result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error);
    }
  }
  apply(change);
  scheduleFastFtPoll();
}

void ActiveTracker::apply(const std::optional<ActiveChange>& change) {
  if (!change) return;
  const std::string detection =
      change->detection_ms ? std::to_string(*change->detection_ms) + "ms" : std::string("n/a");
  if (change->to) {
    spdlog::info("Active backend: {} -> {} ({}:{}), epoch {}, reason: {}, detection: {}",
                 describe(change->from), change->to->name, change->to->host, change->to->port,
                 change->epoch, change->reason, detection);
  } else {
    spdlog::warn("No active backend (was {}), epoch {}, reason: {}", describe(change->from),
                 change->epoch, change->reason);
  }
  // Copy: an observer may add or remove observers.
  std::vector<ChangeCallback> callbacks;
  callbacks.reserve(observers_.size());
  for (const auto& [token, callback] : observers_) callbacks.push_back(callback);
  const std::optional<ActiveBackend> now = decision_.active();
  for (const ChangeCallback& callback : callbacks) callback(now);
}

std::optional<ActiveBackend> ActiveTracker::active() const { return decision_.active(); }

void ActiveTracker::reportDataPathFailure(size_t backend_index, std::string_view reason) {
  // `backend_index` is the backend's id (ActiveBackend::index), which a reload may have moved
  // in the list, or removed.
  const std::optional<size_t> position = decision_.positionOf(backend_index);
  if (!position || *position >= options_.backends.size()) return;
  spdlog::debug("Backend {}: data path failure: {}", options_.backends[*position].name, reason);
  decision_.onDataPathFailure(*position, reason, nowMs());
  probeSoon();
}

void ActiveTracker::reconfigure(bool ftDirChanged) {
  // Probes in flight were addressed by list position, which a reload may change.
  http_.cancelAll();
  probing_.assign(options_.backends.size(), false);
  plainNats_.assign(options_.backends.size(), false);
  if (ftDirChanged) lastFtStatus_.clear();
  apply(decision_.reconfigure(options_.backends, !options_.ft_dir.empty(), ftDirChanged,
                              options_.probe.rise, options_.probe.fall, nowMs()));
  if (!started_ || stopped_) return;
  roundTimer_.cancel();
  ftFastTimer_.cancel();
  scheduleNextRound();
  probeSoon();
}

size_t ActiveTracker::addObserver(ChangeCallback callback) {
  const size_t token = nextObserver_++;
  observers_.emplace(token, std::move(callback));
  return token;
}

void ActiveTracker::removeObserver(size_t token) { observers_.erase(token); }

TrackerSnapshot ActiveTracker::snapshot() const {
  TrackerSnapshot s;
  s.active = decision_.active();
  s.epoch = decision_.epoch();
  s.healthy = decision_.healthy(&s.health_error);
  s.backends = decision_.backends();
  s.failovers = decision_.failovers();
  s.last_failover_detection_ms = decision_.lastDetectionMs();
  s.ft_dir = options_.ft_dir;
  s.ft_status = decision_.ftStatus();
  s.max_record_epoch = decision_.maxRecordEpoch();
  s.now_ms = loop_.now();
  return s;
}

}  // namespace ftgate::gateway
