// <channel>/subs.dat, as nats-streaming-server writes it (docs/file-store-format.md):
//
//   u32le version (1), then typed records:
//     u32le (type << 24) | payload size | u32le CRC-32(IEEE) of payload | payload
//   type 1 new sub (SubState)          type 2 updated sub (SubState, replaces; creates if absent)
//   type 3 deleted sub (SubStateDelete) type 4 ack (SubStateUpdate: sub id, seqno)
//   type 5 message sent (SubStateUpdate: pending += seqno, last_sent = max(last_sent, seqno))
//
// Replay: a torn tail or zero padding is cut off (logged); a record with a bad CRC or an
// unknown type whose length fits is reported with its offset and skipped. A leftover
// subs.dat.tmp (a compaction interrupted before its rename) is removed: subs.dat is complete.
//
// Compaction (compactIfDue) rewrites the file as: version; for each live subscription by id,
// type 1 (its SubState, last_sent included) then one type 5 per pending sequence; and, when
// the highest id ever used belongs to a deleted subscription, one type 3 for that id.
#include "broker/store/file_sub_store.h"

#include <spdlog/spdlog.h>

#include "broker/store/record_format.h"

namespace ftgate::store {
namespace fmt_ = format;
using Type = fmt_::SubRecordType;

FileSubStore::FileSubStore(std::string path, int64_t maxSubs, const FileStoreOptions& options,
                           std::function<int64_t()> nowNs)
    : MemorySubStore(maxSubs),
      path_(std::move(path)),
      options_(options),
      nowNs_(std::move(nowNs)) {}

StoreStatus FileSubStore::recover() {
  (void)removeLeftoverReplacement(path_);
  std::string err;
  file_ = AppendFile::open(path_, true, &err);
  if (!file_) {
    spdlog::error("STAN: {}", err);
    return StoreStatus::IoError;
  }
  std::string data;
  if (!file_->readAll(&data)) return StoreStatus::IoError;
  if (data.size() < fmt_::kVersionSize) {
    if (!file_->truncate(0)) return StoreStatus::IoError;
    fmt_::appendVersion(file_->buffer());
    return StoreStatus::Ok;
  }
  if (fmt_::getU32(data.data()) != fmt_::kFileVersion) {
    spdlog::error("STAN: {}: unsupported file version", path_);
    return StoreStatus::IoError;
  }
  uint64_t pos = fmt_::kVersionSize;
  while (pos < data.size()) {
    fmt_::RecordView rec;
    const auto st = fmt_::readRecord(data, pos, true, options_.crc, &rec);
    if (st == fmt_::ReadStatus::End || st == fmt_::ReadStatus::Torn) {
      if (st == fmt_::ReadStatus::Torn)
        spdlog::warn("STAN: {}: torn record at offset {}; truncated", path_, pos);
      if (!file_->truncate(pos)) return StoreStatus::IoError;
      break;
    }
    tracker_.countRecord();
    const char* p = rec.payload.data();
    const int n = static_cast<int>(rec.payload.size());
    bool ok = st == fmt_::ReadStatus::Record;
    if (ok) {
      switch (static_cast<Type>(rec.type)) {
        case Type::New:
        case Type::Update: {
          stan::SubState s;
          ok = s.ParseFromArray(p, n);
          if (ok) {
            auto& slot = subs_[s.id()];
            slot.state = s;
            maxSubId_ = std::max(maxSubId_, s.id());
          }
          break;
        }
        case Type::Delete: {
          stan::SubStateDelete d;
          ok = d.ParseFromArray(p, n);
          if (ok) {
            subs_.erase(d.id());
            maxSubId_ = std::max(maxSubId_, d.id());
          }
          break;
        }
        case Type::Ack:
        case Type::MsgSent: {
          stan::SubStateUpdate u;
          ok = u.ParseFromArray(p, n);
          auto it = ok ? subs_.find(u.id()) : subs_.end();
          if (it == subs_.end()) break;
          if (static_cast<Type>(rec.type) == Type::Ack) {
            it->second.pending.erase(u.seqno());
          } else {
            it->second.pending.insert(u.seqno());
            if (u.seqno() > it->second.state.last_sent()) it->second.state.set_last_sent(u.seqno());
          }
          break;
        }
        default:
          ok = false;
      }
    }
    if (!ok)
      spdlog::error("STAN: {}: corrupt record (type {}, {} bytes) at offset {}; skipped", path_,
                    rec.type, rec.payload.size(), pos);
    pos = rec.end();
  }
  for (const auto& [id, sub] : subs_) pendingTotal_ += sub.pending.size();
  return StoreStatus::Ok;
}

StoreStatus FileSubStore::append(uint8_t type, const google::protobuf::MessageLite& rec) {
  if (failed_ || !file_) return StoreStatus::IoError;
  if (fmt_::appendRecord(file_->buffer(), type, rec) < 0) return StoreStatus::InvalidArgument;
  tracker_.countRecord();
  return StoreStatus::Ok;
}

StoreStatus FileSubStore::createSub(stan::SubState& sub) {
  if (failed_ || !file_) return StoreStatus::IoError;
  StoreStatus st = MemorySubStore::createSub(sub);
  return st == StoreStatus::Ok ? append(static_cast<uint8_t>(Type::New), sub) : st;
}

StoreStatus FileSubStore::updateSub(const stan::SubState& sub) {
  StoreStatus st = MemorySubStore::updateSub(sub);
  return st == StoreStatus::Ok ? append(static_cast<uint8_t>(Type::Update), sub) : st;
}

StoreStatus FileSubStore::deleteSub(uint64_t subId) {
  auto it = subs_.find(subId);
  const size_t pending = it == subs_.end() ? 0 : it->second.pending.size();
  StoreStatus st = MemorySubStore::deleteSub(subId);
  if (st == StoreStatus::Ok) pendingTotal_ -= pending;
  if (st != StoreStatus::Ok) return st;
  stan::SubStateDelete d;
  d.set_id(subId);
  return append(static_cast<uint8_t>(Type::Delete), d);
}

StoreStatus FileSubStore::addSeqPending(uint64_t subId, uint64_t seq) {
  auto it = subs_.find(subId);
  const size_t before = it == subs_.end() ? 0 : it->second.pending.size();
  StoreStatus st = MemorySubStore::addSeqPending(subId, seq);
  if (st != StoreStatus::Ok) return st;
  pendingTotal_ += it->second.pending.size() - before;
  stan::SubStateUpdate u;
  u.set_id(subId);
  u.set_seqno(seq);
  return append(static_cast<uint8_t>(Type::MsgSent), u);
}

StoreStatus FileSubStore::ackSeqPending(uint64_t subId, uint64_t seq) {
  auto it = subs_.find(subId);
  const size_t before = it == subs_.end() ? 0 : it->second.pending.size();
  StoreStatus st = MemorySubStore::ackSeqPending(subId, seq);
  if (st != StoreStatus::Ok) return st;
  pendingTotal_ -= before - it->second.pending.size();
  stan::SubStateUpdate u;
  u.set_id(subId);
  u.set_seqno(seq);
  return append(static_cast<uint8_t>(Type::Ack), u);
}

std::string FileSubStore::compactedBytes(uint64_t* records) const {
  std::string out;
  fmt_::appendVersion(out);
  uint64_t maxLiveId = 0;
  uint64_t n = 0;
  for (const auto& [id, sub] : subs_) {
    (void)fmt_::appendRecord(out, static_cast<uint8_t>(Type::New), sub.state);
    n += 1 + sub.pending.size();
    stan::SubStateUpdate u;
    u.set_id(id);
    for (uint64_t seq : sub.pending) {
      u.set_seqno(seq);
      (void)fmt_::appendRecord(out, static_cast<uint8_t>(Type::MsgSent), u);
    }
    maxLiveId = std::max(maxLiveId, id);
  }
  if (maxSubId_ > maxLiveId) {
    stan::SubStateDelete d;
    d.set_id(maxSubId_);
    (void)fmt_::appendRecord(out, static_cast<uint8_t>(Type::Delete), d);
    n++;
  }
  if (records) *records = n;
  return out;
}

bool FileSubStore::compactIfDue(std::vector<FileReplacement>* out, uint64_t* bytesReclaimed) {
  if (failed_ || !file_) return false;
  const int64_t now = nowNs_();
  if (!tracker_.due(options_, liveRecords(), file_->size(), now)) return false;
  const uint64_t oldSize = file_->size();
  uint64_t records = 0;
  std::string bytes = compactedBytes(&records);
  const uint64_t newSize = bytes.size();
  FileReplacement rep;
  std::string err;
  AppendFilePtr next = beginReplacement(path_, std::move(bytes), &rep, &err);
  if (!next) {
    // Not fatal: the old file is intact and keeps growing; try again after the interval.
    spdlog::warn("STAN: compaction of {} not started: {}", path_, err);
    tracker_.postpone(now);
    return false;
  }
  const uint64_t before = tracker_.records();
  // What the old buffer held is in the snapshot; the old file is left as it is on disk
  // (complete up to its last write) until the rename replaces it.
  file_ = std::move(next);
  tracker_.compacted(records, now);
  out->push_back(std::move(rep));
  spdlog::debug("STAN: compacting {}: {} records -> {}, {} bytes -> {}", path_, before,
                tracker_.records(), oldSize, newSize);
  if (bytesReclaimed && oldSize > newSize) *bytesReclaimed += oldSize - newSize;
  return true;
}

bool FileSubStore::writeBuffered(std::vector<AppendFilePtr>* toSync, uint64_t* bytesWritten) {
  if (!file_) return true;
  if (!file_->writeBuffered(bytesWritten)) {
    failed_ = true;
    return false;
  }
  if (file_->needs_sync) {
    file_->needs_sync = false;
    toSync->push_back(file_);
  }
  return true;
}

}  // namespace ftgate::store
