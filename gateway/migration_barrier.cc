#include "gateway/migration_barrier.h"

#include <utility>
#include <vector>

namespace ftgate::gateway {

void MigrationBarrier::depart(uint64_t id) {
  // A waiter that departs again will arrive again; its old release must not run meanwhile.
  waiting_.erase(id);
  if (waiting_.empty()) roundStartedMs_.reset();
  departed_.insert(id);
}

bool MigrationBarrier::arrive(uint64_t id, uint64_t nowMs, Release release) {
  departed_.erase(id);
  if (!roundStartedMs_) roundStartedMs_ = nowMs;
  waiting_[id] = std::move(release);
  if (!departed_.empty() && nowMs < *roundStartedMs_ + static_cast<uint64_t>(bound_.count())) {
    return false;
  }
  // Everyone is here, or this one came after the bound: nobody waits any longer.
  if (!departed_.empty()) ++releasedByBound_;
  releaseAll();
  return true;
}

void MigrationBarrier::leave(uint64_t id) {
  departed_.erase(id);
  waiting_.erase(id);
  if (waiting_.empty()) roundStartedMs_.reset();
  releaseIfComplete();
}

size_t MigrationBarrier::expire(uint64_t nowMs) {
  const std::optional<uint64_t> deadline = releaseDeadline();
  if (!deadline || nowMs < *deadline) return 0;
  if (!departed_.empty()) ++releasedByBound_;
  return releaseAll();
}

std::optional<uint64_t> MigrationBarrier::releaseDeadline() const {
  if (waiting_.empty() || !roundStartedMs_) return std::nullopt;
  return *roundStartedMs_ + static_cast<uint64_t>(bound_.count());
}

void MigrationBarrier::releaseIfComplete() {
  if (departed_.empty() && !waiting_.empty()) releaseAll();
}

size_t MigrationBarrier::releaseAll() {
  // A release may call back into the barrier (a session that fails at once departs again):
  // the round is over before any callback runs.
  std::vector<Release> releases;
  releases.reserve(waiting_.size());
  for (auto& [id, release] : waiting_) releases.push_back(std::move(release));
  waiting_.clear();
  roundStartedMs_.reset();
  for (Release& release : releases) {
    if (release) release();
  }
  return releases.size();
}

}  // namespace ftgate::gateway
