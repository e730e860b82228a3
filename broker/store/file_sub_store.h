// FileSubStore: a channel's subscriptions in <channel>/subs.dat (typed records, see atop
// file_sub_store.cc). The state lives in memory (MemorySubStore); every change also appends
// one record, durable at the next Store::flush().
#pragma once

#include <string>
#include <vector>

#include "broker/store/append_file.h"
#include "broker/store/memory_sub_store.h"

namespace ftgate::store {

class FileSubStore final : public MemorySubStore {
 public:
  FileSubStore(std::string path, int64_t maxSubs, bool checkCrc);

  // Opens subs.dat (creating it) and replays its records.
  [[nodiscard]] StoreStatus recover();

  [[nodiscard]] StoreStatus createSub(stan::SubState& sub) override;
  [[nodiscard]] StoreStatus updateSub(const stan::SubState& sub) override;
  [[nodiscard]] StoreStatus deleteSub(uint64_t subId) override;
  [[nodiscard]] StoreStatus addSeqPending(uint64_t subId, uint64_t seq) override;
  [[nodiscard]] StoreStatus ackSeqPending(uint64_t subId, uint64_t seq) override;

  [[nodiscard]] bool writeBuffered(std::vector<AppendFilePtr>* toSync, uint64_t* bytesWritten);
  void closeFile() { file_.reset(); }

 private:
  [[nodiscard]] StoreStatus append(uint8_t type, const google::protobuf::MessageLite& rec);

  std::string path_;
  bool checkCrc_;
  AppendFilePtr file_;
  bool failed_ = false;
};

}  // namespace ftgate::store
