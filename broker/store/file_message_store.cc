// Message slices, as nats-streaming-server writes them (docs/file-store-format.md):
//
//   <channel>/msgs.N.dat   u32le version (1), then untyped records:
//                            u32le payload size | u32le CRC-32(IEEE) of payload | MsgProto
//   <channel>/msgs.N.idx   u32le version (1), then one 32-byte record per message:
//                            u64le seq | u64le offset of the record header in msgs.N.dat |
//                            i64le timestamp | u32le payload size | u32le CRC-32 of bytes 0-27
//
// N starts at 1 and grows by one per slice. A slice rolls before a message is stored when it
// already holds slice_max_bytes, counted as payload + 40 per message (header + index record).
// The .dat record is always buffered before its index record and written to the kernel first.
//
// Recovery of one slice (time proportional to the index, not to the data):
//  1. read the .idx: a torn last record (fewer than 32 bytes) or zero padding is cut off; an
//     index record with a bad CRC makes the whole index untrustworthy: it is rebuilt from the
//     .dat (logged);
//  2. index records pointing past the end of the .dat are dropped (the index reached the disk
//     before the data); the last indexed record is read back and checked (size, CRC, sequence);
//     on mismatch the index is rebuilt from the .dat;
//  3. the .dat past the last indexed record (normally nothing) is scanned: complete records
//     get index records; a torn tail is cut off with a log line; a record with a bad CRC but a
//     length that fits is reported with file and offset and skipped (its sequence becomes a
//     gap that lookup() reports as missing).
#include "broker/store/file_message_store.h"

#include <dirent.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "broker/store/record_format.h"

namespace ftgate::store {
namespace fmt_ = format;

namespace {
uint64_t cachedSize(const stan::MsgProto& msg) {
  return msg.data().size() + msg.subject().size() + msg.reply().size() +
         FileMessageStore::kRecentPerMsgOverhead;
}

bool parseSliceName(const std::string& name, uint32_t* number, bool* isIndex) {
  if (name.rfind("msgs.", 0) != 0) return false;
  const size_t dot = name.find('.', 5);
  if (dot == std::string::npos || dot == 5) return false;
  const std::string suffix = name.substr(dot);
  if (suffix != ".dat" && suffix != ".idx") return false;
  uint64_t n = 0;
  for (size_t i = 5; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    n = n * 10 + static_cast<uint64_t>(name[i] - '0');
    if (n > 0xFFFFFFFF) return false;
  }
  *number = static_cast<uint32_t>(n);
  *isIndex = suffix == ".idx";
  return true;
}
}  // namespace

FileMessageStore::FileMessageStore(std::string dir, ChannelLimits limits,
                                   FileStoreOptions fileOptions, std::function<int64_t()> nowNs)
    : dir_(std::move(dir)), limits_(limits), fileOptions_(fileOptions), nowNs_(std::move(nowNs)) {}

StoreStatus FileMessageStore::recover() {
  std::map<uint32_t, int> found;  // number -> bit 1: dat, bit 2: idx
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      uint32_t number = 0;
      bool isIndex = false;
      if (parseSliceName(e->d_name, &number, &isIndex)) found[number] |= isIndex ? 2 : 1;
    }
    ::closedir(d);
  }
  for (const auto& [number, bits] : found) {
    const std::string base = dir_ + "/msgs." + std::to_string(number);
    lastSliceNumber_ = std::max(lastSliceNumber_, number);
    if (!(bits & 1)) {
      spdlog::warn("STAN: {}.idx has no data file; removed", base);
      ::unlink((base + ".idx").c_str());
      continue;
    }
    std::string err;
    Slice slice;
    slice.number = number;
    slice.dat = AppendFile::open(base + ".dat", false, &err);
    if (slice.dat) slice.idx = AppendFile::open(base + ".idx", true, &err);
    if (!slice.dat || !slice.idx) {
      spdlog::error("STAN: cannot open slice: {}", err);
      return StoreStatus::IoError;
    }
    if (!recoverSlice(slice)) return StoreStatus::IoError;
    uint64_t bytesWritten = 0;
    if (!slice.dat->writeBuffered(&bytesWritten) || !slice.idx->writeBuffered(&bytesWritten))
      return StoreStatus::IoError;
    if (slice.entries.empty()) {
      // Nothing in it: remove, as nats-streaming-server does with empty slices.
      slice.dat.reset();
      slice.idx.reset();
      ::unlink((base + ".dat").c_str());
      ::unlink((base + ".idx").c_str());
      dirChanged_ = true;
      continue;
    }
    for (const Entry& e : slice.entries) {
      if (!e.present) continue;
      ++count_;
      bytes_ += e.size + fmt_::kMsgRecordOverhead;
    }
    if (first_ == 0) first_ = slice.firstSeq;
    last_ = slice.lastSeq();
    slices_.push_back(std::move(slice));
  }
  enforceCountLimits();
  return StoreStatus::Ok;
}

bool FileMessageStore::recoverSlice(Slice& slice) {
  // Data file version.
  if (slice.dat->size() < fmt_::kVersionSize) {
    if (!slice.dat->truncate(0)) return false;
    fmt_::appendVersion(slice.dat->buffer());
  } else {
    std::string v;
    if (!slice.dat->readAt(0, fmt_::kVersionSize, &v)) return false;
    if (fmt_::getU32(v.data()) != fmt_::kFileVersion) {
      spdlog::error("STAN: {}: unsupported file version {}", slice.dat->path(),
                    fmt_::getU32(v.data()));
      return false;
    }
  }
  bool rebuild = false;
  if (!loadIndex(slice, &rebuild)) return false;
  if (rebuild) {
    slice.entries.clear();
    slice.firstSeq = 0;
    slice.bytes = 0;
    if (!slice.idx->truncate(0)) return false;
    fmt_::appendVersion(slice.idx->buffer());
    return scanDataTail(slice, fmt_::kVersionSize);
  }
  uint64_t tail = fmt_::kVersionSize;
  if (!slice.entries.empty()) {
    const Entry& last = slice.entries.back();
    tail = last.offset + fmt_::kRecordHeaderSize + last.size;
  }
  return scanDataTail(slice, tail);
}

// Reads the index file into slice.entries. Sets *rebuild when the index cannot be trusted.
bool FileMessageStore::loadIndex(Slice& slice, bool* rebuild) {
  AppendFile& idx = *slice.idx;
  if (idx.size() < fmt_::kVersionSize) {
    *rebuild = true;
    return true;
  }
  std::string data;
  if (!idx.readAll(&data)) return false;
  if (fmt_::getU32(data.data()) != fmt_::kFileVersion) {
    spdlog::error("STAN: {}: unsupported file version; rebuilding the index", idx.path());
    *rebuild = true;
    return true;
  }
  uint64_t pos = fmt_::kVersionSize;
  uint64_t keep = pos;
  while (pos + fmt_::kIndexRecordSize <= data.size()) {
    fmt_::IndexRecord rec;
    const auto st = fmt_::readIndexRecord(data.data() + pos, fileOptions_.crc, &rec);
    if (st == fmt_::ReadStatus::End) break;
    if (st == fmt_::ReadStatus::BadCrc || (!slice.entries.empty() && rec.seq <= slice.lastSeq())) {
      spdlog::error("STAN: {}: corrupt index record at offset {}; rebuilding from {}", idx.path(),
                    pos, slice.dat->path());
      *rebuild = true;
      return true;
    }
    addEntry(slice, rec.seq, Entry{rec.offset, rec.timestamp, rec.size, true});
    pos += fmt_::kIndexRecordSize;
    keep = pos;
  }
  if (keep < data.size()) {
    const bool padding = std::all_of(data.begin() + static_cast<long>(keep), data.end(),
                                     [](char c) { return c == 0; });
    if (!padding)
      spdlog::warn("STAN: {}: torn index record at offset {}; truncated", idx.path(), keep);
    if (!idx.truncate(keep)) return false;
  }
  // Index records the data file does not back (the index reached the disk first).
  const uint64_t datSize = slice.dat->size();
  size_t valid = slice.entries.size();
  while (valid > 0 && (!slice.entries[valid - 1].present || slice.entries[valid - 1].offset +
                                                                    fmt_::kRecordHeaderSize +
                                                                    slice.entries[valid - 1].size >
                                                                datSize))
    --valid;
  if (valid < slice.entries.size()) {
    spdlog::warn("STAN: {}: {} index record(s) past the end of the data file; dropped", idx.path(),
                 slice.entries.size() - valid);
    slice.entries.resize(valid);
    if (!idx.truncate(fmt_::kVersionSize + valid * fmt_::kIndexRecordSize)) return false;
  }
  slice.bytes = 0;
  for (const Entry& e : slice.entries)
    if (e.present) slice.bytes += e.size + fmt_::kMsgRecordOverhead;
  if (slice.entries.empty()) return true;
  // The last indexed record must be the message the index says.
  const Entry& last = slice.entries.back();
  std::string rec;
  fmt_::RecordView view;
  stan::MsgProto msg;
  if (!slice.dat->readAt(last.offset, fmt_::kRecordHeaderSize + last.size, &rec) ||
      fmt_::readRecord(rec, 0, false, true, &view) != fmt_::ReadStatus::Record ||
      view.payload.size() != last.size ||
      !msg.ParseFromArray(view.payload.data(), static_cast<int>(view.payload.size())) ||
      msg.sequence() != slice.lastSeq()) {
    spdlog::error("STAN: {}: last index record does not match {}; rebuilding the index", idx.path(),
                  slice.dat->path());
    *rebuild = true;
  }
  return true;
}

// Scans msgs.N.dat from `pos` to its end, indexing every complete record.
bool FileMessageStore::scanDataTail(Slice& slice, uint64_t pos) {
  AppendFile& dat = *slice.dat;
  const uint64_t size = dat.size();
  if (pos >= size) return true;
  std::string data;
  if (!dat.readAt(pos, size - pos, &data)) return false;
  uint64_t at = 0;
  while (at < data.size()) {
    fmt_::RecordView view;
    const auto st = fmt_::readRecord(data, at, false, true, &view);
    if (st == fmt_::ReadStatus::End) {
      if (!dat.truncate(pos + at)) return false;  // zero padding
      break;
    }
    if (st == fmt_::ReadStatus::Torn) {
      spdlog::warn("STAN: {}: torn record at offset {} ({} bytes); truncated", dat.path(), pos + at,
                   data.size() - at);
      if (!dat.truncate(pos + at)) return false;
      break;
    }
    stan::MsgProto msg;
    if (st == fmt_::ReadStatus::BadCrc ||
        !msg.ParseFromArray(view.payload.data(), static_cast<int>(view.payload.size())) ||
        msg.sequence() == 0 || (!slice.entries.empty() && msg.sequence() <= slice.lastSeq())) {
      spdlog::error("STAN: {}: corrupt record at offset {} ({} bytes); skipped", dat.path(),
                    pos + at, view.payload.size());
      at = view.end();
      continue;
    }
    const uint64_t offset = pos + at;
    addEntry(slice, msg.sequence(),
             Entry{offset, msg.timestamp(), static_cast<uint32_t>(view.payload.size()), true});
    slice.bytes += view.payload.size() + fmt_::kMsgRecordOverhead;
    fmt_::appendIndexRecord(slice.idx->buffer(), msg.sequence(), offset, msg.timestamp(),
                            static_cast<uint32_t>(view.payload.size()));
    at = view.end();
  }
  return true;
}

void FileMessageStore::addEntry(Slice& slice, uint64_t seq, const Entry& entry) {
  if (slice.entries.empty()) slice.firstSeq = seq;
  while (slice.firstSeq + slice.entries.size() < seq) {
    Entry gap;
    gap.timestamp = slice.entries.empty() ? entry.timestamp : slice.entries.back().timestamp;
    slice.entries.push_back(gap);
  }
  slice.entries.push_back(entry);
}

bool FileMessageStore::openNewSlice() {
  const uint32_t number = lastSliceNumber_ + 1;
  const std::string base = dir_ + "/msgs." + std::to_string(number);
  std::string err;
  Slice slice;
  slice.number = number;
  slice.dat = AppendFile::open(base + ".dat", true, &err);
  if (slice.dat) slice.idx = AppendFile::open(base + ".idx", true, &err);
  if (!slice.dat || !slice.idx || !slice.dat->truncate(0) || !slice.idx->truncate(0)) {
    spdlog::error("STAN: cannot create slice {}: {}", base, err);
    return false;
  }
  fmt_::appendVersion(slice.dat->buffer());
  fmt_::appendVersion(slice.idx->buffer());
  lastSliceNumber_ = number;
  dirChanged_ = true;
  // An older slice whose messages were all removed goes away once a newer one exists.
  if (!slices_.empty() && first_ > slices_.back().lastSeq()) {
    ::unlink(slices_.back().dat->path().c_str());
    ::unlink(slices_.back().idx->path().c_str());
    slices_.pop_back();
  }
  slices_.push_back(std::move(slice));
  return true;
}

StoreStatus FileMessageStore::store(stan::MsgProto msg, uint64_t* seq) {
  if (failed_) return StoreStatus::IoError;
  msg.set_sequence(last_ + 1);
  const int64_t now = nowNs_();
  if (msg.timestamp() == 0) msg.set_timestamp(now);
  if (slices_.empty() ||
      (fileOptions_.slice_max_bytes > 0 &&
       slices_.back().bytes >= static_cast<uint64_t>(fileOptions_.slice_max_bytes))) {
    if (!openNewSlice()) {
      failed_ = true;
      return StoreStatus::IoError;
    }
  }
  Slice& slice = slices_.back();
  const uint64_t offset = slice.dat->size();
  const int64_t size = fmt_::appendRecord(slice.dat->buffer(), 0, msg);
  fmt_::appendIndexRecord(slice.idx->buffer(), msg.sequence(), offset, msg.timestamp(),
                          static_cast<uint32_t>(size));
  addEntry(slice, msg.sequence(),
           Entry{offset, msg.timestamp(), static_cast<uint32_t>(size), true});
  const uint64_t accounted = static_cast<uint64_t>(size) + fmt_::kMsgRecordOverhead;
  slice.bytes += accounted;
  last_ = msg.sequence();
  if (first_ == 0) first_ = last_;
  ++count_;
  bytes_ += accounted;
  *seq = last_;
  cache(std::make_shared<const stan::MsgProto>(std::move(msg)), now);
  enforceCountLimits();
  if (slice.dat->buffered() >= fileOptions_.buffer_size) {
    uint64_t ignored = 0;
    if (!slice.dat->writeBuffered(&ignored) || !slice.idx->writeBuffered(&ignored)) {
      failed_ = true;
      return StoreStatus::IoError;
    }
  }
  return StoreStatus::Ok;
}

void FileMessageStore::cache(MsgPtr msg, int64_t nowNs) {
  if (!recent_.empty() && recent_.back().msg->sequence() + 1 != msg->sequence()) {
    recent_.clear();
    recentBytes_ = 0;
  }
  recentBytes_ += cachedSize(*msg);
  recent_.push_back(Cached{std::move(msg), nowNs});
  while (recentBytes_ > kRecentMaxBytes && recent_.size() > 1) dropCacheFront();
  trimCache(nowNs);
}

void FileMessageStore::trimCache(int64_t nowNs) {
  while (recent_.size() > 1 && nowNs - recent_.front().storedNs > kRecentMaxAgeNs) dropCacheFront();
}

void FileMessageStore::dropCacheFront() {
  recentBytes_ -= cachedSize(*recent_.front().msg);
  recent_.pop_front();
}

void FileMessageStore::enforceCountLimits() {
  while (count_ > 1 &&
         ((limits_.max_msgs > 0 && count_ > static_cast<uint64_t>(limits_.max_msgs)) ||
          (limits_.max_bytes > 0 && bytes_ > static_cast<uint64_t>(limits_.max_bytes))))
    removeFirst();
}

// Drops the first message; a slice left with no live message is deleted unless it is the
// last one (the write slice).
void FileMessageStore::removeFirst() {
  if (count_ == 0) return;
  if (const Entry* e = entryFor(first_); e && e->present) {
    --count_;
    bytes_ -= e->size + fmt_::kMsgRecordOverhead;
  }
  ++first_;
  while (count_ > 0 && !(entryFor(first_) && entryFor(first_)->present)) ++first_;
  if (count_ == 0) first_ = last_ + 1;
  while (slices_.size() > 1 && first_ > slices_.front().lastSeq()) {
    ::unlink(slices_.front().dat->path().c_str());
    ::unlink(slices_.front().idx->path().c_str());
    slices_.pop_front();
    dirChanged_ = true;
  }
  while (!recent_.empty() && recent_.front().msg->sequence() < first_) dropCacheFront();
}

FileMessageStore::Slice* FileMessageStore::sliceFor(uint64_t seq) {
  for (Slice& s : slices_)
    if (!s.entries.empty() && seq >= s.firstSeq && seq <= s.lastSeq()) return &s;
  return nullptr;
}

const FileMessageStore::Entry* FileMessageStore::entryFor(uint64_t seq) const {
  for (const Slice& s : slices_)
    if (!s.entries.empty() && seq >= s.firstSeq && seq <= s.lastSeq())
      return &s.entries[seq - s.firstSeq];
  return nullptr;
}

MsgPtr FileMessageStore::lookup(uint64_t seq) {
  if (count_ == 0 || seq < first_ || seq > last_) return nullptr;
  if (!recent_.empty() && seq >= recent_.front().msg->sequence()) {
    ++cacheHits_;
    return recent_[seq - recent_.front().msg->sequence()].msg;
  }
  Slice* slice = sliceFor(seq);
  if (!slice) return nullptr;
  const Entry& e = slice->entries[seq - slice->firstSeq];
  if (!e.present) return nullptr;
  ++diskReads_;
  std::string rec;
  fmt_::RecordView view;
  auto msg = std::make_shared<stan::MsgProto>();
  if (!slice->dat->readAt(e.offset, fmt_::kRecordHeaderSize + e.size, &rec) ||
      fmt_::readRecord(rec, 0, false, fileOptions_.crc, &view) != fmt_::ReadStatus::Record ||
      view.payload.size() != e.size ||
      !msg->ParseFromArray(view.payload.data(), static_cast<int>(view.payload.size())) ||
      msg->sequence() != seq) {
    spdlog::error("STAN: {}: cannot read message {} at offset {}", slice->dat->path(), seq,
                  e.offset);
    return nullptr;
  }
  return msg;
}

int64_t FileMessageStore::firstTimestamp() {
  const Entry* e = count_ ? entryFor(first_) : nullptr;
  return e ? e->timestamp : 0;
}

int64_t FileMessageStore::lastTimestamp() {
  const Entry* e = count_ ? entryFor(last_) : nullptr;
  return e ? e->timestamp : 0;
}

uint64_t FileMessageStore::sequenceFromTimestamp(int64_t timestampNs) {
  if (count_ == 0) return last_ + 1;
  uint64_t lo = first_, hi = last_ + 1;  // first seq in [lo, hi) with timestamp >= ts
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const Entry* e = entryFor(mid);
    if (e && e->timestamp >= timestampNs) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

int64_t FileMessageStore::expireMessages() {
  const int64_t maxAge = limits_.max_age.count();
  if (maxAge <= 0) return 0;
  const int64_t now = nowNs_();
  while (count_ > 0 && now - firstTimestamp() >= maxAge) removeFirst();
  return count_ ? firstTimestamp() + maxAge : 0;
}

bool FileMessageStore::writeBuffered(std::vector<AppendFilePtr>* toSync, bool* dirChanged,
                                     uint64_t* bytesWritten) {
  // Once per write round: an idle channel's cache ages out too.
  if (!recent_.empty()) trimCache(nowNs_());
  bool ok = true;
  for (Slice& s : slices_) {
    // Data before index: an index record never reaches the kernel before its message.
    ok = s.dat->writeBuffered(bytesWritten) && ok;
    ok = s.idx->writeBuffered(bytesWritten) && ok;
    for (const AppendFilePtr& f : {s.dat, s.idx}) {
      if (!f->needs_sync) continue;
      f->needs_sync = false;
      toSync->push_back(f);
    }
  }
  if (dirChanged_) *dirChanged = true;
  dirChanged_ = false;
  if (!ok) failed_ = true;
  return ok;
}

}  // namespace ftgate::store
