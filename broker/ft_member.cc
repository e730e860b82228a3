#include "broker/ft_member.h"

#include <spdlog/spdlog.h>

namespace ftgate::broker {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

FtMember::FtMember(net::EventLoop& loop, const StreamingOptions& options, FtGroupStorePtr store,
                   FtServing serving, ExitRequest onExitRequest)
    : loop_(loop),
      options_(options),
      store_(std::move(store)),
      serving_(std::move(serving)),
      onExitRequest_(std::move(onExitRequest)),
      role_(store_ ? FtState::Standby : FtState::Standalone),
      lockTimer_(loop),
      checkTimer_(loop) {}

FtMember::~FtMember() {
  lockTimer_.close();
  checkTimer_.close();
}

std::string FtMember::start() {
  if (!store_) return serving_.start();
  spdlog::info("FT: standby for group '{}' on dir {} (lock retried every {} ms)", options_.ft_group,
               store_->dir(), options_.ft_lock_interval.count());
  tryBecomeActive();
  if (role_.state() == FtState::Standby) {
    lockTimer_.startRepeating(options_.ft_lock_interval, [this] { tryBecomeActive(); });
  }
  return "";
}

void FtMember::logOnce(std::string& last, const std::string& text, bool error) {
  if (text == last) {
    spdlog::debug("{}", text);
    return;
  }
  last = text;
  if (error) {
    spdlog::error("{}", text);
  } else {
    spdlog::warn("{}", text);
  }
}

void FtMember::tryBecomeActive() {
  if (!store_ || role_.state() != FtState::Standby) return;
  ft::LockAttempt attempt = store_->tryLock();
  if (attempt.status == ft::LockStatus::HeldByOther) return;
  if (attempt.status == ft::LockStatus::Error) {
    logOnce(lastLockError_, "FT: cannot take the lock: " + attempt.error + " (will retry)", true);
    return;
  }
  lastLockError_.clear();

  ft::OwnerRecordResult claimed = store_->claimNextEpoch(serving_.identity());
  if (!claimed.ok()) {
    // Never serve without a valid epoch: let go of the lock so the group can still elect a
    // server once someone fixes the record, and keep trying.
    logOnce(lastClaimError_,
            "FT: took the lock but cannot claim an epoch in " + ft::ownerRecordPath(store_->dir()) +
                ": " + claimed.error +
                "; releasing the lock and staying standby (fix or remove the record)",
            true);
    store_->releaseLock();
    return;
  }
  lastClaimError_.clear();
  claim_ = claimed.record;
  const uint64_t epoch = claimed.record.epoch;
  standbyFor_ = duration_cast<milliseconds>(FtRole::Clock::now() - role_.since());
  if (!role_.moveTo(FtState::Active, epoch, "took the FT lock and claimed the epoch")) return;
  lockTimer_.cancel();

  if (std::string error = serving_.start(); !error.empty()) {
    spdlog::error("FT: became active at epoch {} but cannot serve: {}", epoch, error);
    (void)role_.moveTo(FtState::Stopping, epoch, "cannot serve clients");
    onExitRequest_(kExitServeFailed);
    return;
  }
  spdlog::info("FT: became active at epoch {} (was standby for {} ms)", epoch, standbyFor_.count());
  checkTimer_.startRepeating(options_.ft_check_interval, [this] { checkFencing(); });
}

void FtMember::checkFencing() {
  if (!store_ || role_.state() != FtState::Active || !claim_) return;
  ft::FencingResult result = store_->checkFencing(claim_->epoch, claim_->server.server_id);
  switch (result.verdict) {
    case ft::FencingVerdict::StillOwner:
      lastFencingDoubt_.clear();
      return;
    case ft::FencingVerdict::Unknown:
      logOnce(lastFencingDoubt_,
              "FT: cannot confirm ownership at epoch " + std::to_string(claim_->epoch) + ": " +
                  result.reason + " (still serving; checking again)",
              false);
      return;
    case ft::FencingVerdict::Superseded:
      break;
  }
  checkTimer_.cancel();
  const std::string why = "fenced: server " + result.current.server.server_id + " (" +
                          result.current.server.client_url + ") claimed epoch " +
                          std::to_string(result.current.epoch) + " over our epoch " +
                          std::to_string(claim_->epoch) + ": " + result.reason;
  (void)role_.moveTo(FtState::Fenced, claim_->epoch, why);
  serving_.stop(CloseReason::FtFenced);
  spdlog::error("FT: stopped serving ({}); exiting with status {} to restart as a standby", why,
                kExitFenced);
  onExitRequest_(kExitFenced);
}

void FtMember::beginShutdown() {
  lockTimer_.close();
  checkTimer_.close();
  const bool wasServing = role_.serving();
  if (role_.state() != FtState::Stopping) {
    (void)role_.moveTo(FtState::Stopping, role_.epoch(), "shutting down");
  }
  if (wasServing) serving_.stop(CloseReason::ServerShutdown);
}

void FtMember::releaseLock() {
  if (store_) store_->releaseLock();
}

}  // namespace ftgate::broker
