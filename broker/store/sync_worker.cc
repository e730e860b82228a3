#include "broker/store/sync_worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/net/closable_handle.h"

namespace ftgate::store {

// The uv_async_t that carries completions back to the loop. Its memory is freed only in the
// close callback; EventLoop::close() can reach it through handle.data (ClosableHandle) when the
// loop goes away before the store.
class SyncWorker::AsyncHandle final : public net::detail::ClosableHandle {
 public:
  explicit AsyncHandle(SyncWorker* owner) : owner_(owner) { handle_.data = this; }

  int start(uv_loop_t* loop) {
    return uv_async_init(loop, &handle_, [](uv_async_t* h) {
      auto* self = static_cast<AsyncHandle*>(h->data);
      if (self->owner_) self->owner_->runCompletions();
    });
  }
  // Any thread.
  void send() {
    std::lock_guard lock(sendMutex_);
    if (!closing_) uv_async_send(&handle_);
  }
  void detach() { owner_ = nullptr; }
  // Only outstanding requests keep the loop alive (run() returns when the broker is idle).
  void ref(bool on) {
    if (on) {
      uv_ref(reinterpret_cast<uv_handle_t*>(&handle_));
    } else {
      uv_unref(reinterpret_cast<uv_handle_t*>(&handle_));
    }
  }
  void closeFromLoop() override {
    {
      std::lock_guard lock(sendMutex_);
      if (closing_) return;
      closing_ = true;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), [](uv_handle_t* h) {
      auto* self = static_cast<AsyncHandle*>(h->data);
      if (self->owner_) {
        std::lock_guard lock(self->owner_->mutex_);
        self->owner_->async_ = nullptr;
      }
      delete self;
    });
  }

 private:
  uv_async_t handle_{};
  SyncWorker* owner_;
  std::mutex sendMutex_;
  bool closing_ = false;
};

SyncWorker::SyncWorker(net::EventLoop& loop, bool doSync) : doSync_(doSync) {
  async_ = new AsyncHandle(this);
  if (async_->start(loop.raw()) != 0) {
    delete async_;
    async_ = nullptr;
  } else {
    async_->ref(false);
  }
  thread_ = std::thread([this] { threadMain(); });
}

SyncWorker::~SyncWorker() { stop(); }

void SyncWorker::request(std::vector<AppendFilePtr> files, std::vector<std::string> dirs,
                         FlushCallback done) {
  request(std::move(files), std::move(dirs), {}, std::move(done));
}

void SyncWorker::request(std::vector<AppendFilePtr> files, std::vector<std::string> dirs,
                         std::vector<FileReplacement> replacements, FlushCallback done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queued_.push_back(
          Request{std::move(files), std::move(dirs), std::move(replacements), std::move(done)});
      wake_.notify_one();
      if (outstanding_++ == 0 && async_) async_->ref(true);
      return;
    }
  }
  if (done) done(StoreStatus::Closed);
}

void SyncWorker::threadMain() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (queued_.empty()) return;  // stopping, and nothing left
    std::deque<Request> round;
    round.swap(queued_);
    lock.unlock();

    bool ok = !failed_.load();
    std::set<AppendFile*> seen;
    std::set<std::string> dirs;
    if (doSync_ && ok) {
      for (Request& r : round) {
        for (const AppendFilePtr& f : r.files) {
          if (!seen.insert(f.get()).second) continue;
          fsyncs_++;
          if (::fdatasync(f->fd()) != 0) {
            spdlog::error("STAN: fsync of {} failed: {}", f->path(), std::strerror(errno));
            ok = false;
          }
        }
        dirs.insert(r.dirs.begin(), r.dirs.end());
      }
    }
    // Replacements go after the round's file syncs and before its directory syncs, and
    // never after a failed fsync (the store is failing anyway; the old file stays).
    if (ok) ok = replaceFiles(round, seen, dirs);
    if (ok && (doSync_ || !dirs.empty())) {
      for (const std::string& d : dirs) {
        fsyncs_++;
        if (!syncDirectory(d)) {
          spdlog::error("STAN: fsync of directory {} failed", d);
          ok = false;
        }
      }
    }
    if (!ok) failed_ = true;  // after a failed fsync the page cache state is unknown
    rounds_++;
    lock.lock();
    for (Request& r : round)
      completed_.push_back(
          Completion{std::move(r.done), ok ? StoreStatus::Ok : StoreStatus::IoError});
    round.clear();  // drops file references (may close descriptors) on this thread
    if (async_) async_->send();
  }
}

bool SyncWorker::replaceFiles(std::deque<Request>& round, std::set<AppendFile*>& synced,
                              std::set<std::string>& dirs) {
  for (Request& r : round) {
    for (FileReplacement& rep : r.replacements) {
      // The new file must be complete on disk before its name can point at it.
      if (synced.insert(rep.file.get()).second) {
        fsyncs_++;
        if (::fdatasync(rep.file->fd()) != 0) {
          spdlog::error("STAN: fsync of {} failed: {}", rep.tmp_path, std::strerror(errno));
          return false;
        }
      }
      if (::rename(rep.tmp_path.c_str(), rep.final_path.c_str()) != 0) {
        if (errno == ENOENT) {
          // deleteChannel moved the channel directory away meanwhile: nothing to replace.
          spdlog::debug("STAN: {} is gone; compaction dropped", rep.tmp_path);
          continue;
        }
        spdlog::error("STAN: rename of {} to {} failed: {}", rep.tmp_path, rep.final_path,
                      std::strerror(errno));
        return false;
      }
      replacements_++;
      dirs.insert(rep.dir);
    }
  }
  return true;
}

void SyncWorker::runCompletions() {
  std::vector<Completion> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(completed_);
  }
  outstanding_ -= std::min(outstanding_, ready.size());
  if (outstanding_ == 0 && async_ && !stopping_) async_->ref(false);
  for (Completion& c : ready)
    if (c.done) c.done(c.status);
}

void SyncWorker::stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  runCompletions();
  AsyncHandle* handle = nullptr;
  {
    std::lock_guard lock(mutex_);
    handle = async_;
    async_ = nullptr;
  }
  if (handle) {
    handle->detach();
    handle->closeFromLoop();
  }
}

}  // namespace ftgate::store
