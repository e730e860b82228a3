// MemoryMessageStore: a channel's messages in memory (the `memory` store). Limits as in
// nats-streaming-server's memory store: bytes are counted as the serialised MsgProto size.
#pragma once

#include <deque>
#include <functional>

#include "broker/store/store.h"

namespace ftgate::store {

class MemoryMessageStore final : public MessageStore {
 public:
  MemoryMessageStore(ChannelLimits limits, std::function<int64_t()> nowNs);

  [[nodiscard]] StoreStatus store(stan::MsgProto msg, uint64_t* seq) override;
  [[nodiscard]] MsgPtr lookup(uint64_t seq) override;
  [[nodiscard]] uint64_t firstSequence() const override { return first_; }
  [[nodiscard]] uint64_t lastSequence() const override { return last_; }
  [[nodiscard]] int64_t firstTimestamp() override;
  [[nodiscard]] int64_t lastTimestamp() override;
  [[nodiscard]] uint64_t count() const override { return msgs_.size(); }
  [[nodiscard]] uint64_t bytes() const override { return bytes_; }
  [[nodiscard]] uint64_t sequenceFromTimestamp(int64_t timestampNs) override;
  int64_t expireMessages() override;

 private:
  void removeFirst();

  ChannelLimits limits_;
  std::function<int64_t()> nowNs_;
  std::deque<MsgPtr> msgs_;  // msgs_[i] has sequence first_ + i
  uint64_t first_ = 0;
  uint64_t last_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace ftgate::store
