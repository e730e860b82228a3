// The file store's root directory, as nats-streaming-server lays it out
// (docs/file-store-format.md has the full description):
//
//   <dir>/server.dat    u32le version (1), then ONE untyped record:
//                         u32le payload size | u32le CRC-32(IEEE) of payload | ServerInfo
//   <dir>/clients.dat   u32le version (1), then typed records:
//                         u32le (type << 24) | size | u32le CRC-32 | payload
//                         type 1 add client (ClientInfo), type 2 delete client (ClientDelete)
//   <dir>/<channel>/    one directory per channel: subs.dat (file_sub_store.cc) and the
//                       message slices msgs.N.dat / msgs.N.idx (file_message_store.cc)
//   <dir>/.rootdir.lck  the FT lock file: never opened here (common/ft owns it)
//
// A header of zeros marks zero padding (end of data). server.dat is replaced atomically
// (temp file, fsync, rename, fsync of the directory). clients.dat is compacted when enough of
// it is obsolete (file_compaction.h): rewritten as the version and one "add client" record
// per live client, in clients.dat.tmp, renamed over clients.dat by the sync worker. A
// deleted channel's directory is first renamed to <dir>/.deleted-<channel> (ignored, and
// removed at recovery), so a compaction rename still in flight cannot land in it.
#include "broker/store/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "broker/store/file_message_store.h"
#include "broker/store/file_sub_store.h"
#include "broker/store/record_format.h"
#include "broker/store/sync_worker.h"

namespace ftgate::store {
namespace fmt_ = format;

namespace {

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool validChannelDirName(const std::string& name) {
  return !name.empty() && name[0] != '.' && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

bool removeTree(const std::string& path) {
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      ::unlink((path + "/" + name).c_str());
    }
    ::closedir(d);
  }
  return ::rmdir(path.c_str()) == 0;
}

constexpr const char kDeletedPrefix[] = ".deleted-";

bool writeFileAtomically(const std::string& dir, const std::string& name,
                         const std::string& bytes) {
  const std::string tmp = dir + "/" + name + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok && ::rename(tmp.c_str(), (dir + "/" + name).c_str()) == 0 && syncDirectory(dir);
}

}  // namespace

// Registered with the loop's flush phase when a flush() is pending, so all flushes of one
// loop iteration become one write per file and one sync request.
class FlushBatch final : public net::detail::Flushable {
 public:
  explicit FlushBatch(FileStore* store) : store_(store) {}
  void flushNow() override {
    if (store_) store_->submitBatch();
  }
  void detach() { store_ = nullptr; }

 private:
  FileStore* store_;
};

FileStore::FileStore(net::EventLoop& loop, std::string dir, StoreOptions options)
    : loop_(loop), dir_(std::move(dir)), options_(std::move(options)) {
  if (!options_.now_ns) options_.now_ns = systemNowNs;
  worker_ = std::make_unique<SyncWorker>(loop_, options_.file.sync_on_flush);
  batch_ = std::make_shared<FlushBatch>(this);
}

FileStore::~FileStore() { close(); }

StoreStatus FileStore::recover(RecoveredState* out) {
  const auto started = std::chrono::steady_clock::now();
  *out = RecoveredState{};
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    spdlog::error("STAN: cannot create store directory {}: {}", dir_, std::strerror(errno));
    return StoreStatus::IoError;
  }
  // server.dat
  std::string err;
  if (AppendFilePtr server = AppendFile::open(dir_ + "/server.dat", false, &err)) {
    std::string data;
    fmt_::RecordView rec;
    stan::ServerInfo info;
    if (server->readAll(&data) && data.size() >= fmt_::kVersionSize &&
        fmt_::getU32(data.data()) == fmt_::kFileVersion &&
        fmt_::readRecord(data, fmt_::kVersionSize, false, true, &rec) == fmt_::ReadStatus::Record &&
        info.ParseFromArray(rec.payload.data(), static_cast<int>(rec.payload.size()))) {
      serverInfo_ = info;
    } else if (!data.empty()) {
      spdlog::error("STAN: {}/server.dat is unreadable ({} bytes); starting as new", dir_,
                    data.size());
    }
  }
  if (StoreStatus st = recoverClients(); st != StoreStatus::Ok) return st;
  // Channels: every directory not starting with '.'.
  std::vector<std::string> names;
  std::vector<std::string> deleted;
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (validChannelDirName(name) && isDirectory(dir_ + "/" + name)) names.push_back(name);
      if (name.rfind(kDeletedPrefix, 0) == 0) deleted.push_back(name);
    }
    ::closedir(d);
  }
  for (const std::string& name : deleted) {
    if (!removeTree(dir_ + "/" + name))
      spdlog::warn("STAN: could not remove {}/{} (a deleted channel)", dir_, name);
  }
  uint64_t msgs = 0, subs = 0;
  for (const std::string& name : names) {
    Channel* channel = nullptr;
    if (StoreStatus st = openChannel(name, false, &channel); st != StoreStatus::Ok) return st;
    msgs += channel->msgs->count();
    subs += channel->subs->count();
  }
  out->server_info = serverInfo_;
  for (const auto& [id, info] : clients_) out->clients.push_back(info);
  for (const auto& [name, channel] : channels_) out->channels.push_back(channel.get());
  recovered_ = true;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  spdlog::info(
      "STAN: recovered file store {} in {} ms: {} clients, {} channels, {} messages, "
      "{} subscriptions",
      dir_, ms, clients_.size(), channels_.size(), msgs, subs);
  return StoreStatus::Ok;
}

StoreStatus FileStore::recoverClients() {
  (void)removeLeftoverReplacement(dir_ + "/clients.dat");
  std::string err;
  clientsFile_ = AppendFile::open(dir_ + "/clients.dat", true, &err);
  if (!clientsFile_) {
    spdlog::error("STAN: {}", err);
    return StoreStatus::IoError;
  }
  std::string data;
  if (!clientsFile_->readAll(&data)) return StoreStatus::IoError;
  if (data.size() < fmt_::kVersionSize) {
    if (!clientsFile_->truncate(0)) return StoreStatus::IoError;
    fmt_::appendVersion(clientsFile_->buffer());
    dirsToSync_.push_back(dir_);
    return StoreStatus::Ok;
  }
  if (fmt_::getU32(data.data()) != fmt_::kFileVersion) {
    spdlog::error("STAN: {}: unsupported file version", clientsFile_->path());
    return StoreStatus::IoError;
  }
  uint64_t pos = fmt_::kVersionSize;
  while (pos < data.size()) {
    fmt_::RecordView rec;
    const auto st = fmt_::readRecord(data, pos, true, options_.file.crc, &rec);
    if (st == fmt_::ReadStatus::End || st == fmt_::ReadStatus::Torn) {
      if (st == fmt_::ReadStatus::Torn)
        spdlog::warn("STAN: {}: torn record at offset {}; truncated", clientsFile_->path(), pos);
      if (!clientsFile_->truncate(pos)) return StoreStatus::IoError;
      break;
    }
    clientsTracker_.countRecord();
    bool ok = st == fmt_::ReadStatus::Record;
    const int n = static_cast<int>(rec.payload.size());
    if (ok && rec.type == static_cast<uint8_t>(fmt_::ClientRecordType::Add)) {
      stan::ClientInfo info;
      ok = info.ParseFromArray(rec.payload.data(), n);
      if (ok) clients_[info.id()] = info;
    } else if (ok && rec.type == static_cast<uint8_t>(fmt_::ClientRecordType::Delete)) {
      stan::ClientDelete del;
      ok = del.ParseFromArray(rec.payload.data(), n);
      if (ok) clients_.erase(del.id());
    } else {
      ok = false;
    }
    if (!ok)
      spdlog::error("STAN: {}: corrupt record (type {}, {} bytes) at offset {}; skipped",
                    clientsFile_->path(), rec.type, rec.payload.size(), pos);
    pos = rec.end();
  }
  return StoreStatus::Ok;
}

StoreStatus FileStore::openChannel(const std::string& name, bool create, Channel** out) {
  const std::string path = dir_ + "/" + name;
  if (create) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      spdlog::error("STAN: cannot create channel directory {}: {}", path, std::strerror(errno));
      return StoreStatus::IoError;
    }
    dirsToSync_.push_back(dir_);
  }
  auto channel = std::make_unique<Channel>();
  channel->name = name;
  channel->limits = options_.limits.forChannel(name);
  auto msgs =
      std::make_unique<FileMessageStore>(path, channel->limits, options_.file, options_.now_ns);
  auto subs = std::make_unique<FileSubStore>(path + "/subs.dat", channel->limits.max_subs,
                                             options_.file, options_.now_ns);
  if (StoreStatus st = msgs->recover(); st != StoreStatus::Ok) return st;
  if (StoreStatus st = subs->recover(); st != StoreStatus::Ok) return st;
  if (create) dirsToSync_.push_back(path);
  channel->msgs = std::move(msgs);
  channel->subs = std::move(subs);
  *out = channel.get();
  channels_.emplace(name, std::move(channel));
  return StoreStatus::Ok;
}

StoreStatus FileStore::init(const stan::ServerInfo& info) {
  if (closed_) return StoreStatus::Closed;
  std::string bytes;
  fmt_::appendVersion(bytes);
  fmt_::appendRecord(bytes, 0, info);
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) return StoreStatus::IoError;
  if (!writeFileAtomically(dir_, "server.dat", bytes)) {
    spdlog::error("STAN: cannot write {}/server.dat: {}", dir_, std::strerror(errno));
    return StoreStatus::IoError;
  }
  serverInfo_ = info;
  return StoreStatus::Ok;
}

StoreStatus FileStore::addClient(const stan::ClientInfo& info) {
  if (closed_) return StoreStatus::Closed;
  if (failed_ || !clientsFile_) return StoreStatus::IoError;
  if (clients_.count(info.id())) return StoreStatus::AlreadyExists;
  if (fmt_::appendRecord(clientsFile_->buffer(), static_cast<uint8_t>(fmt_::ClientRecordType::Add),
                         info) < 0)
    return StoreStatus::InvalidArgument;
  clientsTracker_.countRecord();
  clients_.emplace(info.id(), info);
  return StoreStatus::Ok;
}

StoreStatus FileStore::deleteClient(const std::string& clientId) {
  if (closed_) return StoreStatus::Closed;
  if (failed_ || !clientsFile_) return StoreStatus::IoError;
  if (!clients_.erase(clientId)) return StoreStatus::NotFound;
  stan::ClientDelete del;
  del.set_id(clientId);
  (void)fmt_::appendRecord(clientsFile_->buffer(),
                           static_cast<uint8_t>(fmt_::ClientRecordType::Delete), del);
  clientsTracker_.countRecord();
  return StoreStatus::Ok;
}

StoreStatus FileStore::createChannel(const std::string& name, Channel** out) {
  if (closed_) return StoreStatus::Closed;
  if (auto it = channels_.find(name); it != channels_.end()) {
    *out = it->second.get();
    return StoreStatus::AlreadyExists;
  }
  if (!validChannelDirName(name)) return StoreStatus::InvalidArgument;
  const int64_t maxChannels = options_.limits.max_channels;
  if (maxChannels > 0 && channels_.size() >= static_cast<size_t>(maxChannels))
    return StoreStatus::TooManyChannels;
  if (failed_) return StoreStatus::IoError;
  return openChannel(name, true, out);
}

Channel* FileStore::lookupChannel(const std::string& name) {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second.get();
}

StoreStatus FileStore::deleteChannel(const std::string& name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return StoreStatus::NotFound;
  static_cast<FileMessageStore*>(it->second->msgs.get())->closeFiles();
  static_cast<FileSubStore*>(it->second->subs.get())->closeFile();
  channels_.erase(it);
  // Move the directory out of the channel's name first: a compaction of its subs.dat whose
  // rename is still queued in the sync worker then finds nothing (and drops itself) instead
  // of recreating subs.dat in a directory being removed, or in a new channel of that name.
  std::string path = dir_ + "/" + name;
  const std::string moved = dir_ + "/" + kDeletedPrefix + name;
  if (::rename(path.c_str(), moved.c_str()) == 0) {
    path = moved;
  } else {
    spdlog::warn("STAN: could not rename channel directory {}: {}", path, std::strerror(errno));
  }
  if (!removeTree(path)) spdlog::warn("STAN: could not remove channel directory {}", path);
  dirsToSync_.push_back(dir_);
  return StoreStatus::Ok;
}

std::string FileStore::compactedClientsBytes() const {
  std::string out;
  fmt_::appendVersion(out);
  for (const auto& [id, info] : clients_)
    (void)fmt_::appendRecord(out, static_cast<uint8_t>(fmt_::ClientRecordType::Add), info);
  return out;
}

void FileStore::compactIfDue(std::vector<FileReplacement>* replacements) {
  if (clientsFile_ && !failed_) {
    const int64_t now = options_.now_ns();
    const uint64_t oldSize = clientsFile_->size();
    if (clientsTracker_.due(options_.file, clients_.size(), oldSize, now)) {
      std::string bytes = compactedClientsBytes();
      const uint64_t newSize = bytes.size();
      FileReplacement rep;
      std::string err;
      if (AppendFilePtr next =
              beginReplacement(clientsFile_->path(), std::move(bytes), &rep, &err)) {
        spdlog::debug("STAN: compacting {}: {} records -> {}, {} bytes -> {}", clientsFile_->path(),
                      clientsTracker_.records(), clients_.size(), oldSize, newSize);
        clientsFile_ = std::move(next);
        clientsTracker_.compacted(clients_.size(), now);
        replacements->push_back(std::move(rep));
        stats_.compactions++;
        if (oldSize > newSize) stats_.compaction_bytes_reclaimed += oldSize - newSize;
      } else {
        spdlog::warn("STAN: compaction of {} not started: {}", clientsFile_->path(), err);
        clientsTracker_.postpone(now);
      }
    }
  }
  for (auto& [name, channel] : channels_) {
    if (static_cast<FileSubStore*>(channel->subs.get())
            ->compactIfDue(replacements, &stats_.compaction_bytes_reclaimed))
      stats_.compactions++;
  }
}

bool FileStore::writeAllBuffered(std::vector<AppendFilePtr>* toSync, std::vector<std::string>* dirs,
                                 std::vector<FileReplacement>* replacements) {
  compactIfDue(replacements);
  bool ok = true;
  uint64_t written = 0;
  if (clientsFile_) {
    ok = clientsFile_->writeBuffered(&written) && ok;
    if (clientsFile_->needs_sync) {
      clientsFile_->needs_sync = false;
      toSync->push_back(clientsFile_);
    }
  }
  for (auto& [name, channel] : channels_) {
    bool dirChanged = false;
    ok = static_cast<FileMessageStore*>(channel->msgs.get())
             ->writeBuffered(toSync, &dirChanged, &written) &&
         ok;
    ok = static_cast<FileSubStore*>(channel->subs.get())->writeBuffered(toSync, &written) && ok;
    if (dirChanged) dirs->push_back(dir_ + "/" + name);
  }
  dirs->insert(dirs->end(), dirsToSync_.begin(), dirsToSync_.end());
  dirsToSync_.clear();
  stats_.bytes_written += written;
  if (!ok) failed_ = true;
  return ok;
}

void FileStore::flush(FlushCallback done) {
  stats_.flush_requests++;
  if (closed_) {
    if (done) done(StoreStatus::Closed);
    return;
  }
  batchCallbacks_.push_back(std::move(done));
  if (!batchArmed_) {
    batchArmed_ = true;
    loop_.deferFlush(batch_);
  }
}

void FileStore::submitBatch() {
  batchArmed_ = false;
  if (batchCallbacks_.empty()) return;
  auto callbacks = std::make_shared<std::vector<FlushCallback>>(std::move(batchCallbacks_));
  batchCallbacks_.clear();
  auto runAll = [callbacks](StoreStatus st) {
    for (FlushCallback& cb : *callbacks)
      if (cb) cb(st);
  };
  std::vector<AppendFilePtr> files;
  std::vector<std::string> dirs;
  std::vector<FileReplacement> replacements;
  if (!writeAllBuffered(&files, &dirs, &replacements) || failed_) {
    runAll(StoreStatus::IoError);
    return;
  }
  worker_->request(std::move(files), std::move(dirs), std::move(replacements), std::move(runAll));
}

StoreStats FileStore::stats() const {
  StoreStats s = stats_;
  if (worker_) {
    s.sync_rounds = worker_->syncRounds();
    s.fsyncs = worker_->fsyncs();
  }
  return s;
}

void FileStore::close() {
  if (closed_) return;
  batch_->detach();
  submitBatch();
  // The last flush: everything buffered goes to the kernel and, when syncing, to the disk
  // (the worker finishes it before stop() returns and runs every pending callback).
  std::vector<AppendFilePtr> files;
  std::vector<std::string> dirs;
  std::vector<FileReplacement> replacements;
  // A compacted file whose bytes did not all reach the kernel must never be renamed over the
  // complete old one: after a failed write the replacements are dropped (their .tmp files
  // are removed at the next recovery).
  if (!writeAllBuffered(&files, &dirs, &replacements) || failed_) replacements.clear();
  worker_->request(std::move(files), std::move(dirs), std::move(replacements), nullptr);
  worker_->stop();
  closed_ = true;
  for (auto& [name, channel] : channels_) {
    static_cast<FileMessageStore*>(channel->msgs.get())->closeFiles();
    static_cast<FileSubStore*>(channel->subs.get())->closeFile();
  }
  clientsFile_.reset();
}

}  // namespace ftgate::store
