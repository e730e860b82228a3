// SyncWorker: the file store's fsync thread and group commit.
//
// The loop thread calls request(files, dirs, done). The worker thread takes EVERY request
// queued when it wakes, fdatasyncs the union of their files (each once) and directories, then
// posts all their callbacks back to the loop (uv_async), where they run in request order.
// Requests that arrive while a round is syncing wait for the next round: N flushes during one
// fsync cost one more fsync, not N. The loop thread never blocks on fsync.
//
// With sync disabled (sync_on_flush false) rounds skip the fsyncs but keep the same ordering
// and callback path.
//
// File replacements (compaction): a request may carry files written under a temporary name
// that must take the place of their final name. In its round, after every file of the round
// was synced, each replacement's file is fdatasync'ed (even with sync disabled), renamed over
// its final name, and its directory fsync'ed; only then do the round's callbacks run. Rounds
// run one after another, so every fsync of the file being replaced that was asked for earlier
// has landed before the rename; a crash at any point leaves the old or the new complete file.
#pragma once

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/store/append_file.h"
#include "broker/store/store.h"
#include "common/net/event_loop.h"

namespace ftgate::store {

// A compacted file written as `tmp_path`, to be renamed over `final_path` (in `dir`).
struct FileReplacement {
  AppendFilePtr file;  // open on tmp_path; keeps the descriptor alive until the round ends
  std::string tmp_path;
  std::string final_path;
  std::string dir;
};

class SyncWorker {
 public:
  SyncWorker(net::EventLoop& loop, bool doSync);
  ~SyncWorker();
  SyncWorker(const SyncWorker&) = delete;
  SyncWorker& operator=(const SyncWorker&) = delete;

  // Loop thread: sync `files` and `dirs`, then run `done` on the loop thread.
  void request(std::vector<AppendFilePtr> files, std::vector<std::string> dirs, FlushCallback done);
  // Same, with replacements done in the same round (see above). A replacement whose temporary
  // file is gone (its channel directory was deleted meanwhile) is skipped, not an error.
  void request(std::vector<AppendFilePtr> files, std::vector<std::string> dirs,
               std::vector<FileReplacement> replacements, FlushCallback done);
  // Loop thread: finishes every queued request, stops the thread, runs the remaining
  // callbacks right here and closes the async handle. Idempotent.
  void stop();

  [[nodiscard]] uint64_t syncRounds() const { return rounds_.load(); }
  [[nodiscard]] uint64_t fsyncs() const { return fsyncs_.load(); }
  [[nodiscard]] bool failed() const { return failed_.load(); }
  [[nodiscard]] uint64_t replacements() const { return replacements_.load(); }

 private:
  struct Request {
    std::vector<AppendFilePtr> files;
    std::vector<std::string> dirs;
    std::vector<FileReplacement> replacements;
    FlushCallback done;
  };
  struct Completion {
    FlushCallback done;
    StoreStatus status;
  };
  class AsyncHandle;

  void threadMain();
  // Worker thread: fsyncs and renames of one round's replacements; false on any failure.
  bool replaceFiles(std::deque<Request>& round, std::set<AppendFile*>& synced,
                    std::set<std::string>& dirs);
  void runCompletions();

  bool doSync_;
  AsyncHandle* async_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queued_;
  std::vector<Completion> completed_;
  size_t outstanding_ = 0;  // loop thread: requests whose callbacks have not run yet
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
  std::atomic<uint64_t> rounds_{0};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> replacements_{0};
};

}  // namespace ftgate::store
