#include "broker/store/memory_sub_store.h"

namespace ftgate::store {

StoreStatus MemorySubStore::createSub(stan::SubState& sub) {
  if (maxSubs_ > 0 && subs_.size() >= static_cast<size_t>(maxSubs_))
    return StoreStatus::TooManySubs;
  sub.set_id(++maxSubId_);
  subs_[sub.id()] = SubscriptionRecord{sub, {}};
  return StoreStatus::Ok;
}

StoreStatus MemorySubStore::updateSub(const stan::SubState& sub) {
  auto it = subs_.find(sub.id());
  if (it == subs_.end()) return StoreStatus::NotFound;
  it->second.state = sub;
  return StoreStatus::Ok;
}

StoreStatus MemorySubStore::deleteSub(uint64_t subId) {
  return subs_.erase(subId) ? StoreStatus::Ok : StoreStatus::NotFound;
}

StoreStatus MemorySubStore::addSeqPending(uint64_t subId, uint64_t seq) {
  auto it = subs_.find(subId);
  if (it == subs_.end()) return StoreStatus::NotFound;
  it->second.pending.insert(seq);
  if (seq > it->second.state.last_sent()) it->second.state.set_last_sent(seq);
  return StoreStatus::Ok;
}

StoreStatus MemorySubStore::ackSeqPending(uint64_t subId, uint64_t seq) {
  auto it = subs_.find(subId);
  if (it == subs_.end()) return StoreStatus::NotFound;
  it->second.pending.erase(seq);
  return StoreStatus::Ok;
}

}  // namespace ftgate::store
