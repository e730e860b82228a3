#include "common/ft/fencing_check.h"

#include <utility>

namespace ftgate::ft {

FencingCheck::FencingCheck(std::string dir, uint64_t my_epoch, std::string my_server_id)
    : dir_(std::move(dir)), myEpoch_(my_epoch), myServerId_(std::move(my_server_id)) {}

FencingResult FencingCheck::check() const { return judge(readOwnerRecord(dir_)); }

FencingResult FencingCheck::judge(const OwnerRecordResult& read) const {
  FencingResult result;
  switch (read.status) {
    case OwnerRecordStatus::Missing:
      result.reason = "owner record is missing";
      return result;
    case OwnerRecordStatus::Invalid:
    case OwnerRecordStatus::IoError:
      result.reason = "owner record unreadable: " + read.error;
      return result;
    case OwnerRecordStatus::Ok:
      break;
  }
  result.current = read.record;
  const OwnerRecord& current = read.record;
  const std::string who = "server " + current.server.server_id + " (" + current.server.name + ", " +
                          current.server.client_url + ")";
  if (current.epoch > myEpoch_) {
    result.verdict = FencingVerdict::Superseded;
    result.reason = who + " claimed epoch " + std::to_string(current.epoch) + ", above ours (" +
                    std::to_string(myEpoch_) + ")";
  } else if (current.server.server_id != myServerId_) {
    // Under the lock this cannot happen; if it does, someone else wrote the record after us,
    // and serving on would risk two writers of the store.
    result.verdict = FencingVerdict::Superseded;
    result.reason = who + " wrote the owner record at epoch " + std::to_string(current.epoch) +
                    " (ours is " + std::to_string(myEpoch_) + ")";
  } else if (current.epoch < myEpoch_) {
    result.reason = "owner record names us at epoch " + std::to_string(current.epoch) +
                    ", below ours (" + std::to_string(myEpoch_) + "): was it restored?";
  } else {
    result.verdict = FencingVerdict::StillOwner;
  }
  return result;
}

}  // namespace ftgate::ft
