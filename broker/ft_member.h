// FtMember: this broker's membership of its FT group, driving the FtRole with the group's
// shared directory (FtGroupStore) and the client-facing server (FtServing).
//
// Standby: the client port stays closed; the lock is retried every ft_lock_interval.
// Taking over: lock acquired → claim the next epoch in the owner record (this server's
// identity) → start serving → "FT: became active at epoch N (was standby for X ms)". A claim
// that fails (an invalid record) is logged loudly, the lock is released and the member stays
// standby: it never serves without a valid epoch.
// Active: every ft_check_interval the owner record is re-read; when it names another server
// (Superseded) the member stops serving at once, logs who took over, and asks to exit with
// kExitFenced so a supervisor restarts it as a standby.
// Shutdown: beginShutdown() stops serving; the caller lets the loop close the clients and calls
// releaseLock() LAST, so a standby takes over only when this process has let go of everything.
// Standalone (no ft_group): start() simply starts serving.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "broker/close_reason.h"
#include "broker/ft_group_store.h"
#include "broker/ft_role.h"
#include "broker/options.h"
#include "common/net/event_loop.h"
#include "common/net/timer.h"

namespace ftgate::broker {

// Exit statuses the member asks for.
inline constexpr int kExitFenced = 2;       // another server claimed the group: restart as standby
inline constexpr int kExitServeFailed = 1;  // could not start serving (e.g. port in use)

// What the member drives: the core server, seen through three calls.
struct FtServing {
  std::function<std::string()> start;            // listen; "" or an error text
  std::function<void(CloseReason reason)> stop;  // stop listening, close every client
  std::function<ft::ServerIdentity()> identity;  // for the owner record
};

class FtMember {
 public:
  using ExitRequest = std::function<void(int exitCode)>;

  // `store` is null for a standalone broker (no ft_group).
  FtMember(net::EventLoop& loop, const StreamingOptions& options, FtGroupStorePtr store,
           FtServing serving, ExitRequest onExitRequest);
  ~FtMember();
  FtMember(const FtMember&) = delete;
  FtMember& operator=(const FtMember&) = delete;

  // Standalone: starts serving ("" or the error). FT: tries the lock once now and arms the
  // retry timer; always "" (a standby is a healthy state).
  [[nodiscard]] std::string start();

  // One lock attempt (the retry timer's body; public so tests drive it without time).
  void tryBecomeActive();
  // One fencing check (the check timer's body; public for the same reason).
  void checkFencing();

  // Graceful stop: timers off, serving stopped (clients closed, port closed). Keeps the lock.
  void beginShutdown();
  // Drops the FT lock (no-op when not held / standalone). Call it last on the way out.
  void releaseLock();

  [[nodiscard]] const FtRole& role() const { return role_; }
  // The claimed owner record while active (or last active); nullopt before any claim.
  [[nodiscard]] const std::optional<ft::OwnerRecord>& claim() const { return claim_; }
  [[nodiscard]] bool ftMode() const { return store_ != nullptr; }
  // How long the last takeover waited as a standby.
  [[nodiscard]] std::chrono::milliseconds lastStandbyDuration() const { return standbyFor_; }

 private:
  void logOnce(std::string& last, const std::string& text, bool error);

  net::EventLoop& loop_;
  StreamingOptions options_;
  FtGroupStorePtr store_;
  FtServing serving_;
  ExitRequest onExitRequest_;
  FtRole role_;
  net::Timer lockTimer_;
  net::Timer checkTimer_;
  std::optional<ft::OwnerRecord> claim_;
  std::chrono::milliseconds standbyFor_{0};
  std::string lastLockError_;
  std::string lastClaimError_;
  std::string lastFencingDoubt_;
};

}  // namespace ftgate::broker
