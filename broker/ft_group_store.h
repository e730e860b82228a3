// The shared store directory of an FT group, as the FT member sees it: the lock, the owner
// record claim and the fencing check. An interface only because it is a real seam: the
// production one (FileFtGroupStore) wraps common/ft on a directory; unit tests script one to
// drive every role change without files or timing.
#pragma once

#include <memory>
#include <string>

#include "common/ft/fencing_check.h"
#include "common/ft/ft_lock.h"
#include "common/ft/owner_record.h"

namespace ftgate::broker {

class FtGroupStore {
 public:
  virtual ~FtGroupStore() = default;
  // One non-blocking attempt at the FT lock (see ft::FtLock::tryAcquire).
  [[nodiscard]] virtual ft::LockAttempt tryLock() = 0;
  // Drops the lock. Idempotent.
  virtual void releaseLock() = 0;
  // Writes the next epoch for `identity` (only while holding the lock).
  [[nodiscard]] virtual ft::OwnerRecordResult claimNextEpoch(
      const ft::ServerIdentity& identity) = 0;
  // Re-reads the owner record and judges it against this server's claim.
  [[nodiscard]] virtual ft::FencingResult checkFencing(uint64_t myEpoch,
                                                       const std::string& myServerId) = 0;
  // The directory, for log lines.
  [[nodiscard]] virtual const std::string& dir() const = 0;
};

using FtGroupStorePtr = std::unique_ptr<FtGroupStore>;

// The real one: <dir>/.rootdir.lck and <dir>/.ft-owner.json. Holds the process's only FtLock
// for the directory (see the warning in common/ft/ft_lock.h).
class FileFtGroupStore final : public FtGroupStore {
 public:
  explicit FileFtGroupStore(std::string dir) : dir_(dir), lock_(std::move(dir)) {}
  ft::LockAttempt tryLock() override { return lock_.tryAcquire(); }
  void releaseLock() override { lock_.release(); }
  ft::OwnerRecordResult claimNextEpoch(const ft::ServerIdentity& identity) override {
    return ft::claimNextEpoch(dir_, identity);
  }
  ft::FencingResult checkFencing(uint64_t myEpoch, const std::string& myServerId) override {
    return ft::FencingCheck(dir_, myEpoch, myServerId).check();
  }
  const std::string& dir() const override { return dir_; }

 private:
  std::string dir_;
  ft::FtLock lock_;
};

}  // namespace ftgate::broker
