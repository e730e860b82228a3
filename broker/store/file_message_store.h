// FileMessageStore: a channel's messages in nats-streaming-server's message slices
// (msgs.N.dat + msgs.N.idx in the channel's directory; format in docs/file-store-format.md
// and atop file_message_store.cc).
//
// The slice index is kept in memory (24 bytes per message) so lookups, timestamp searches
// and limit enforcement never scan the data files; recovery reads the .idx files and only
// the tail of each .dat.
//
// Recently stored messages are cached for delivery (a subscriber lags the publisher by up to
// the publishes awaiting their fsync plus its own backlog): the cache keeps every message
// stored within the last second (kRecentMaxAgeNs; nats-streaming-server keeps about one second
// too) while it holds at most kRecentMaxBytes per channel, counted as payload + subject + reply
// + kRecentPerMsgOverhead; older messages are read back from the .dat. The byte bound holds at
// every moment (memory per channel <= 8 MiB plus one message); aged entries go on the next
// store() or write round. 8 MiB is ~28 000 messages of 128 B: a publisher's 16 384 PubAcks in
// flight plus a subscriber's lag (0 disk reads in `ftbench_stan pubsub`); 32 MiB cost more in
// first-touch page faults than it saved on publish-only loads.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "broker/store/append_file.h"
#include "broker/store/store.h"

namespace ftgate::store {

class FileMessageStore final : public MessageStore {
 public:
  FileMessageStore(std::string dir, ChannelLimits limits, FileStoreOptions fileOptions,
                   std::function<int64_t()> nowNs);

  // Loads the slices found in the directory (see the .cc for what is repaired and how).
  [[nodiscard]] StoreStatus recover();

  [[nodiscard]] StoreStatus store(stan::MsgProto msg, uint64_t* seq) override;
  [[nodiscard]] MsgPtr lookup(uint64_t seq) override;
  [[nodiscard]] uint64_t firstSequence() const override { return first_; }
  [[nodiscard]] uint64_t lastSequence() const override { return last_; }
  [[nodiscard]] int64_t firstTimestamp() override;
  [[nodiscard]] int64_t lastTimestamp() override;
  [[nodiscard]] uint64_t count() const override { return count_; }
  [[nodiscard]] uint64_t bytes() const override { return bytes_; }
  [[nodiscard]] uint64_t sequenceFromTimestamp(int64_t timestampNs) override;
  int64_t expireMessages() override;

  // Hands buffered bytes to the kernel; appends the files that need an fsync to *toSync and
  // whether the directory changed (slices created or removed) to *dirChanged.
  [[nodiscard]] bool writeBuffered(std::vector<AppendFilePtr>* toSync, bool* dirChanged,
                                   uint64_t* bytesWritten);
  [[nodiscard]] size_t sliceCount() const { return slices_.size(); }

  // How lookups were served: from the recent-message cache, or read back from a .dat.
  struct ReadStats {
    uint64_t cache_hits = 0;
    uint64_t disk_reads = 0;
    size_t cached_msgs = 0;
    uint64_t cached_bytes = 0;  // as counted against kRecentMaxBytes
  };
  [[nodiscard]] ReadStats readStats() const {
    return ReadStats{cacheHits_, diskReads_, recent_.size(), recentBytes_};
  }
  static constexpr uint64_t kRecentMaxBytes = 8ULL * 1024 * 1024;
  static constexpr int64_t kRecentMaxAgeNs = 1'000'000'000;
  // Counted per cached message on top of its strings (the MsgProto, its shared_ptr control
  // block and the deque slot).
  static constexpr uint64_t kRecentPerMsgOverhead = 160;
  // Releases every file (the store is closing or the channel is being deleted).
  void closeFiles() { slices_.clear(); }

 private:
  struct Entry {
    uint64_t offset = 0;  // of the record header in the .dat
    int64_t timestamp = 0;
    uint32_t size = 0;  // payload size
    bool present = false;
  };
  struct Slice {
    uint32_t number = 0;
    AppendFilePtr dat;
    AppendFilePtr idx;
    uint64_t firstSeq = 0;       // sequence of entries[0]
    std::vector<Entry> entries;  // entries[i] is sequence firstSeq + i
    uint64_t bytes = 0;          // payload + 40 per record: the slice roll size
    [[nodiscard]] uint64_t lastSeq() const { return firstSeq + entries.size() - 1; }
  };

  [[nodiscard]] bool recoverSlice(Slice& slice);
  [[nodiscard]] bool loadIndex(Slice& slice, bool* rebuild);
  [[nodiscard]] bool scanDataTail(Slice& slice, uint64_t pos);
  void addEntry(Slice& slice, uint64_t seq, const Entry& entry);
  [[nodiscard]] bool openNewSlice();
  void removeFirst();
  void enforceCountLimits();
  [[nodiscard]] const Entry* entryFor(uint64_t seq) const;
  [[nodiscard]] Slice* sliceFor(uint64_t seq);
  void cache(MsgPtr msg, int64_t nowNs);
  // Drops cached messages stored more than kRecentMaxAgeNs before `nowNs` (keeps the newest).
  void trimCache(int64_t nowNs);
  void dropCacheFront();

  std::string dir_;
  ChannelLimits limits_;
  FileStoreOptions fileOptions_;
  std::function<int64_t()> nowNs_;
  std::deque<Slice> slices_;  // by number, hence by sequence
  uint32_t lastSliceNumber_ = 0;
  uint64_t first_ = 0;
  uint64_t last_ = 0;
  uint64_t count_ = 0;
  uint64_t bytes_ = 0;
  bool dirChanged_ = false;
  bool failed_ = false;
  struct Cached {
    MsgPtr msg;
    int64_t storedNs = 0;  // store clock when it was stored
  };
  std::deque<Cached> recent_;  // contiguous sequences ending at last_
  uint64_t recentBytes_ = 0;
  uint64_t cacheHits_ = 0;
  uint64_t diskReads_ = 0;
};

}  // namespace ftgate::store
