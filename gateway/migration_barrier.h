// MigrationBarrier: sessions that switch backends together resume together.
//
//   old active dies ──► every session departs (its backend is gone)
//   each session: dial new active, replay CONNECT + SUBs + PING, PONG back ──► arrive (waits)
//   the last departed session arrives (or leaves) ──► release: all waiters flush their held
//                                                      bytes to the new active
//   the bound passes since the first arrival      ──► release all waiters anyway
//
// Why: sessions migrate independently. Without the barrier a publisher's session can flush the
// PUBs it held during the switch before a subscriber's session has replayed its SUBs on the new
// active; those messages then find no subscriber and are lost. With it, every subscription of
// every migrating session is in place on the new active (its PONG proves the backend processed
// the SUBs) before any held message reaches it. The bound keeps one slow or stuck session from
// stalling the others: after it, waiters go on and the latecomer resumes alone when it arrives.
//
// Pure: no sockets, no timers. The caller passes the loop clock and arms its own timer for
// releaseDeadline(); release callbacks are run synchronously from the call that releases.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace ftgate::gateway {

class MigrationBarrier {
 public:
  using Release = std::function<void()>;
  static constexpr std::chrono::milliseconds kDefaultBound{250};

  MigrationBarrier() = default;
  explicit MigrationBarrier(std::chrono::milliseconds bound) : bound_(bound) {}

  // Session `id` lost its backend and will migrate: waiters hold for it (up to the bound).
  // A session that was waiting and departs again (its new backend failed too) stops waiting.
  void depart(uint64_t id);
  // Session `id` has its state in place on the new backend. Its `release` runs when every
  // departed session has arrived or left, or once the bound since the round's first arrival
  // passed — possibly right here, before arrive() returns. Returns true when released here.
  bool arrive(uint64_t id, uint64_t nowMs, Release release);
  // Session `id` is no longer migrating without having been released (closed): nobody waits
  // for it any more, which may release the others (synchronously).
  void leave(uint64_t id);
  // The caller's timer fired: releases every waiter when the bound passed. Returns how many.
  size_t expire(uint64_t nowMs);

  // When the current round's waiters are released at the latest (loop clock, ms); nullopt
  // when nobody waits.
  [[nodiscard]] std::optional<uint64_t> releaseDeadline() const;
  [[nodiscard]] size_t departed() const { return departed_.size(); }
  [[nodiscard]] size_t waiting() const { return waiting_.size(); }
  [[nodiscard]] bool isWaiting(uint64_t id) const { return waiting_.contains(id); }
  // Rounds released by the bound rather than by everyone arriving.
  [[nodiscard]] uint64_t releasedByBound() const { return releasedByBound_; }

 private:
  // Releases every waiter if nobody departed is still on the way.
  void releaseIfComplete();
  size_t releaseAll();

  std::chrono::milliseconds bound_ = kDefaultBound;
  std::unordered_set<uint64_t> departed_;          // migrating, not arrived yet
  std::unordered_map<uint64_t, Release> waiting_;  // arrived, not released yet
  std::optional<uint64_t> roundStartedMs_;         // first arrival of the current round
  uint64_t releasedByBound_ = 0;
};

}  // namespace ftgate::gateway
