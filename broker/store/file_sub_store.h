// FileSubStore: a channel's subscriptions in <channel>/subs.dat (typed records, see atop
// file_sub_store.cc). The state lives in memory (MemorySubStore); every change also appends
// one record, durable at the next Store::flush(). The file is compacted (rewritten with the
// live state only) when enough of it is obsolete: file_compaction.h.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "broker/store/append_file.h"
#include "broker/store/file_compaction.h"
#include "broker/store/memory_sub_store.h"

namespace ftgate::store {

class FileSubStore final : public MemorySubStore {
 public:
  FileSubStore(std::string path, int64_t maxSubs, const FileStoreOptions& options,
               std::function<int64_t()> nowNs);

  // Opens subs.dat (creating it) and replays its records.
  [[nodiscard]] StoreStatus recover();

  [[nodiscard]] StoreStatus createSub(stan::SubState& sub) override;
  [[nodiscard]] StoreStatus updateSub(const stan::SubState& sub) override;
  [[nodiscard]] StoreStatus deleteSub(uint64_t subId) override;
  [[nodiscard]] StoreStatus addSeqPending(uint64_t subId, uint64_t seq) override;
  [[nodiscard]] StoreStatus ackSeqPending(uint64_t subId, uint64_t seq) override;

  [[nodiscard]] bool writeBuffered(std::vector<AppendFilePtr>* toSync, uint64_t* bytesWritten);
  void closeFile() { file_.reset(); }

  // Loop thread, before writeBuffered(): when the file is due for compaction, starts the
  // rewrite (every live subscription's state and pending sequences, see compactedBytes()) and
  // appends to the new file from now on; the replacement to hand to the SyncWorker goes to
  // *out, and what the file shrank by is added to *bytesReclaimed. True when it did.
  bool compactIfDue(std::vector<FileReplacement>* out, uint64_t* bytesReclaimed);
  // The whole file as compaction writes it: version, then per live subscription (by id) one
  // "new sub" record and one "message sent" record per pending sequence, and a "delete"
  // record for the highest id ever used when that subscription is gone (ids are never reused).
  // *records (when given) is the number of records written.
  [[nodiscard]] std::string compactedBytes(uint64_t* records = nullptr) const;
  // Records in the file / records that hold live state.
  [[nodiscard]] uint64_t fileRecords() const { return tracker_.records(); }
  [[nodiscard]] uint64_t liveRecords() const { return subs_.size() + pendingTotal_; }

 private:
  [[nodiscard]] StoreStatus append(uint8_t type, const google::protobuf::MessageLite& rec);

  std::string path_;
  FileStoreOptions options_;
  std::function<int64_t()> nowNs_;
  AppendFilePtr file_;
  CompactionTracker tracker_;
  uint64_t pendingTotal_ = 0;  // sum of every live subscription's pending set
  bool failed_ = false;
};

}  // namespace ftgate::store
