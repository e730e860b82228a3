// FileStore: the `file` store, in nats-streaming-server's on-disk format, so ftbroker can
// recover a directory nats-streaming-server wrote and the two can share an FT group.
// Layout and records: docs/file-store-format.md and the comment atop file_store.cc.
//
// Threading: every method runs on the loop thread; fsyncs run on a SyncWorker thread and
// flush callbacks come back to the loop. The store never opens <dir>/.rootdir.lck (the FT
// lock is common/ft's: closing any descriptor of that file would drop the POSIX lock).
#pragma once

#include <memory>
#include <string>

#include "broker/store/append_file.h"
#include "broker/store/file_compaction.h"
#include "broker/store/store.h"
#include "common/net/event_loop.h"

namespace ftgate::store {

class FileMessageStore;
class FileSubStore;
class SyncWorker;
class FlushBatch;

class FileStore final : public Store {
 public:
  FileStore(net::EventLoop& loop, std::string dir, StoreOptions options);
  ~FileStore() override;

  [[nodiscard]] const char* kind() const override { return "FILE"; }
  [[nodiscard]] StoreStatus recover(RecoveredState* out) override;
  [[nodiscard]] StoreStatus init(const stan::ServerInfo& info) override;
  [[nodiscard]] StoreStatus addClient(const stan::ClientInfo& info) override;
  [[nodiscard]] StoreStatus deleteClient(const std::string& clientId) override;
  [[nodiscard]] const std::map<std::string, stan::ClientInfo>& clients() const override {
    return clients_;
  }
  [[nodiscard]] StoreStatus createChannel(const std::string& name, Channel** out) override;
  [[nodiscard]] Channel* lookupChannel(const std::string& name) override;
  [[nodiscard]] StoreStatus deleteChannel(const std::string& name) override;
  [[nodiscard]] const std::map<std::string, std::unique_ptr<Channel>>& channels() const override {
    return channels_;
  }
  void flush(FlushCallback done) override;
  [[nodiscard]] StoreStats stats() const override;
  void close() override;

  [[nodiscard]] const std::string& dir() const { return dir_; }

  // Hands the flushes requested so far to the sync thread: one write per file and one fsync
  // request for the whole batch. Runs once per loop iteration (EventLoop's flush phase).
  void submitBatch();

 private:
  [[nodiscard]] StoreStatus recoverClients();
  [[nodiscard]] StoreStatus openChannel(const std::string& name, bool create, Channel** out);
  // Starts the compactions that are due (replacements for the sync worker), then writes
  // every buffer to the kernel and lists the files and directories to sync.
  [[nodiscard]] bool writeAllBuffered(std::vector<AppendFilePtr>* toSync,
                                      std::vector<std::string>* dirs,
                                      std::vector<FileReplacement>* replacements);
  void compactIfDue(std::vector<FileReplacement>* replacements);
  [[nodiscard]] std::string compactedClientsBytes() const;

  net::EventLoop& loop_;
  std::string dir_;
  StoreOptions options_;
  std::unique_ptr<SyncWorker> worker_;
  std::shared_ptr<FlushBatch> batch_;
  std::vector<FlushCallback> batchCallbacks_;
  bool batchArmed_ = false;
  AppendFilePtr clientsFile_;
  CompactionTracker clientsTracker_;
  std::optional<stan::ServerInfo> serverInfo_;
  std::map<std::string, stan::ClientInfo> clients_;
  std::map<std::string, std::unique_ptr<Channel>> channels_;
  std::vector<std::string> dirsToSync_;
  StoreStats stats_;
  bool recovered_ = false;
  bool failed_ = false;
  bool closed_ = false;
};

}  // namespace ftgate::store
