#include "broker/store/memory_message_store.h"

#include <algorithm>

namespace ftgate::store {

MemoryMessageStore::MemoryMessageStore(ChannelLimits limits, std::function<int64_t()> nowNs)
    : limits_(limits), nowNs_(std::move(nowNs)) {}

StoreStatus MemoryMessageStore::store(stan::MsgProto msg, uint64_t* seq) {
  msg.set_sequence(last_ + 1);
  if (msg.timestamp() == 0) msg.set_timestamp(nowNs_());
  const uint64_t size = msg.ByteSizeLong();
  auto stored = std::make_shared<const stan::MsgProto>(std::move(msg));
  last_ = stored->sequence();
  if (first_ == 0 || msgs_.empty()) first_ = last_;
  msgs_.push_back(std::move(stored));
  bytes_ += size;
  while (msgs_.size() > 1 &&
         ((limits_.max_msgs > 0 && msgs_.size() > static_cast<uint64_t>(limits_.max_msgs)) ||
          (limits_.max_bytes > 0 && bytes_ > static_cast<uint64_t>(limits_.max_bytes))))
    removeFirst();
  *seq = last_;
  return StoreStatus::Ok;
}

void MemoryMessageStore::removeFirst() {
  bytes_ -= msgs_.front()->ByteSizeLong();
  msgs_.pop_front();
  ++first_;
}

MsgPtr MemoryMessageStore::lookup(uint64_t seq) {
  if (msgs_.empty() || seq < first_ || seq > last_) return nullptr;
  return msgs_[seq - first_];
}

int64_t MemoryMessageStore::firstTimestamp() {
  return msgs_.empty() ? 0 : msgs_.front()->timestamp();
}
int64_t MemoryMessageStore::lastTimestamp() {
  return msgs_.empty() ? 0 : msgs_.back()->timestamp();
}

uint64_t MemoryMessageStore::sequenceFromTimestamp(int64_t timestampNs) {
  auto it = std::lower_bound(msgs_.begin(), msgs_.end(), timestampNs,
                             [](const MsgPtr& m, int64_t ts) { return m->timestamp() < ts; });
  return it == msgs_.end() ? last_ + 1 : (*it)->sequence();
}

int64_t MemoryMessageStore::expireMessages() {
  const int64_t maxAge = limits_.max_age.count();
  if (maxAge <= 0) return 0;
  const int64_t now = nowNs_();
  while (!msgs_.empty() && now - msgs_.front()->timestamp() >= maxAge) removeFirst();
  return msgs_.empty() ? 0 : msgs_.front()->timestamp() + maxAge;
}

}  // namespace ftgate::store
