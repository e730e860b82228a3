// Compaction of the record files that only grow (clients.dat, <channel>/subs.dat): when most
// of a file's records are obsolete (deleted clients and subscriptions, acknowledged messages,
// superseded updates), the file is rewritten with one record per piece of live state.
//
// CompactionTracker counts records and decides when a file is due, as nats-streaming-server
// does (CompactEnabled, CompactFragmentation, CompactInterval, CompactMinFileSize).
// beginReplacement() starts the crash-safe rewrite: the compacted bytes go to "<file>.tmp",
// which the store appends to from then on; the SyncWorker syncs it and renames it over the
// file in the next fsync round (sync_worker.h). A "<file>.tmp" found at recovery is the
// remains of a compaction that never reached its rename: the original file is the complete
// one, and the temporary file is removed (removeLeftoverReplacement).
#pragma once

#include <cstdint>
#include <string>

#include "broker/store/append_file.h"
#include "broker/store/store_options.h"
#include "broker/store/sync_worker.h"

namespace ftgate::store {

class CompactionTracker {
 public:
  // A record was appended to the file (or read from it at recovery).
  void countRecord(uint64_t n = 1) { records_ += n; }
  [[nodiscard]] uint64_t records() const { return records_; }

  // True when the file should be rewritten now: compaction enabled, at least one obsolete
  // record, obsolete records >= compact_fragmentation percent of all records, the file at
  // least compact_min_size bytes, and compact_interval passed since its last compaction (a
  // file never compacted since the store opened it is due at once).
  [[nodiscard]] bool due(const FileStoreOptions& options, uint64_t liveRecords, uint64_t fileSize,
                         int64_t nowNs) const;

  // The file was rewritten with `liveRecords` records at `nowNs`.
  void compacted(uint64_t liveRecords, int64_t nowNs) {
    records_ = liveRecords;
    lastCompactionNs_ = nowNs;
    compactedOnce_ = true;
  }
  // A compaction could not start at `nowNs`: wait compact_interval before trying again.
  void postpone(int64_t nowNs) {
    lastCompactionNs_ = nowNs;
    compactedOnce_ = true;
  }

 private:
  uint64_t records_ = 0;
  int64_t lastCompactionNs_ = 0;
  bool compactedOnce_ = false;
};

// "<finalPath>.tmp": where the compacted copy of `finalPath` is written before the rename.
[[nodiscard]] std::string replacementTempPath(const std::string& finalPath);

// Creates the temporary file for `finalPath` holding `bytes` (in its buffer, written to the
// kernel with the store's next write) and fills *out for SyncWorker::request. Returns the
// new append handle (path() = finalPath), or nullptr with *error set.
[[nodiscard]] AppendFilePtr beginReplacement(const std::string& finalPath, std::string bytes,
                                             FileReplacement* out, std::string* error);

// Removes a leftover "<finalPath>.tmp" (logged); true when there was one.
bool removeLeftoverReplacement(const std::string& finalPath);

}  // namespace ftgate::store
