// MemorySubStore: a channel's subscriptions and their pending (sent, unacknowledged)
// sequences in memory. FileSubStore extends it with the subs.dat records.
#pragma once

#include "broker/store/store.h"

namespace ftgate::store {

class MemorySubStore : public SubStore {
 public:
  explicit MemorySubStore(int64_t maxSubs) : maxSubs_(maxSubs) {}

  [[nodiscard]] StoreStatus createSub(stan::SubState& sub) override;
  [[nodiscard]] StoreStatus updateSub(const stan::SubState& sub) override;
  [[nodiscard]] StoreStatus deleteSub(uint64_t subId) override;
  [[nodiscard]] StoreStatus addSeqPending(uint64_t subId, uint64_t seq) override;
  [[nodiscard]] StoreStatus ackSeqPending(uint64_t subId, uint64_t seq) override;
  [[nodiscard]] size_t count() const override { return subs_.size(); }
  [[nodiscard]] const std::map<uint64_t, SubscriptionRecord>& subscriptions() const override {
    return subs_;
  }

 protected:
  std::map<uint64_t, SubscriptionRecord> subs_;
  uint64_t maxSubId_ = 0;
  int64_t maxSubs_;
};

}  // namespace ftgate::store
