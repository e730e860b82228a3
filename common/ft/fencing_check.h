// Fencing: does the active still own the FT group?
//
// The FT lock alone cannot tell an active that it lost the group (on NFS the server may hand
// the lock to another host after a lease expires while the old active still runs). The owner
// record can: every ft_check_interval the active re-reads it, and if another server has
// claimed the group, the active stops serving at once (closes clients, stops writing the store)
// and logs the verdict's reason.
#pragma once

#include <cstdint>
#include <string>

#include "common/ft/owner_record.h"

namespace ftgate::ft {

enum class FencingVerdict {
  StillOwner,  // the record names this server at its own epoch
  Superseded,  // another server's claim is there (a higher epoch, or another server_id):
               // stop serving now
  Unknown,     // the record cannot prove either (missing, unreadable, garbage, or a lower epoch
               // naming this server): keep serving, log the reason, check again next time
};

struct FencingResult {
  FencingVerdict verdict = FencingVerdict::Unknown;
  OwnerRecord current;  // what the record said (empty when it could not be read)
  std::string reason;   // human-readable, for the log line; empty for StillOwner
};

class FencingCheck {
 public:
  // `my_epoch` and `my_server_id` come from the record claimNextEpoch() returned.
  FencingCheck(std::string dir, uint64_t my_epoch, std::string my_server_id);

  // Re-reads the owner record and judges it. Blocking file I/O (one small read): cheap, but
  // call it from a timer, not per message.
  [[nodiscard]] FencingResult check() const;

  // Pure judgement of an already-read record (what check() does after reading).
  [[nodiscard]] FencingResult judge(const OwnerRecordResult& read) const;

  [[nodiscard]] uint64_t myEpoch() const { return myEpoch_; }

 private:
  std::string dir_;
  uint64_t myEpoch_;
  std::string myServerId_;
};

}  // namespace ftgate::ft
