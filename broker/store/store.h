// The NATS Streaming store seam: what the streaming service needs to keep, whatever keeps it.
//
// Two implementations: MemoryStore (no files) and FileStore (nats-streaming-server's on-disk
// format, see docs/file-store-format.md). Everything here is called on the broker's event loop
// thread; calls are cheap (the file store only appends to user-space buffers). Durability is
// asked for separately with Store::flush(callback): the callback runs on the loop thread once
// everything stored before the call is durable under the configured policy — that is when a
// PubAck may be sent.
//
// Ownership: the Store owns its channels; Channel pointers stay valid until deleteChannel()
// or the store is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/stan/protocol.pb.h"
#include "broker/store/store_options.h"

namespace ftgate::store {

enum class StoreStatus {
  Ok,
  TooManyChannels,  // max_channels reached
  TooManySubs,      // max_subs reached on this channel
  NotFound,         // unknown client, channel or subscription
  AlreadyExists,    // channel or client already there
  InvalidArgument,  // e.g. a channel name that cannot be a directory name
  IoError,          // a write or fsync failed: the store refuses further writes
  Closed,           // the store was closed
};
[[nodiscard]] const char* toString(StoreStatus status);

using MsgPtr = std::shared_ptr<const stan::MsgProto>;

// The messages of one channel: sequences start at 1 and grow by one per message.
class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // Stores `msg` with sequence lastSequence()+1, written into msg.sequence and *seq. A zero
  // timestamp is replaced by the store clock. Enforces max_msgs and max_bytes by dropping the
  // oldest messages (the newest one is always kept). Not durable until a flush completes.
  [[nodiscard]] virtual StoreStatus store(stan::MsgProto msg, uint64_t* seq) = 0;
  // The message with sequence `seq`, or nullptr when it is not (or no longer) stored or
  // cannot be read back (a corrupt record is logged with its file and offset).
  [[nodiscard]] virtual MsgPtr lookup(uint64_t seq) = 0;

  // 0 when the channel has never held a message. After all messages expired,
  // firstSequence() == lastSequence() + 1.
  [[nodiscard]] virtual uint64_t firstSequence() const = 0;
  [[nodiscard]] virtual uint64_t lastSequence() const = 0;
  // Timestamps (ns since epoch) of the first and last stored messages; 0 when empty.
  [[nodiscard]] virtual int64_t firstTimestamp() = 0;
  [[nodiscard]] virtual int64_t lastTimestamp() = 0;
  [[nodiscard]] virtual uint64_t count() const = 0;
  [[nodiscard]] virtual uint64_t bytes() const = 0;
  // The first sequence whose timestamp is >= `timestampNs`; lastSequence()+1 when none
  // (the TimeDeltaStart start position).
  [[nodiscard]] virtual uint64_t sequenceFromTimestamp(int64_t timestampNs) = 0;
  // max_age: drops every message older than now - max_age (store clock). Returns the time
  // (ns since epoch) of the next expiration, 0 when nothing will expire. The service calls
  // this from a timer; store() does not.
  virtual int64_t expireMessages() = 0;
};

// A subscription as the store knows it: the persisted state plus the sequences delivered
// and not yet acknowledged (for redelivery after recovery or FT takeover).
struct SubscriptionRecord {
  stan::SubState state;
  std::set<uint64_t> pending;
};

// The subscriptions of one channel.
class SubStore {
 public:
  virtual ~SubStore() = default;

  // Registers a new subscription: assigns sub.id (greater than every id ever used on this
  // channel). TooManySubs at max_subs.
  [[nodiscard]] virtual StoreStatus createSub(stan::SubState& sub) = 0;
  // Replaces the state of subscription sub.id (durable close, new inbox on resume, ...).
  [[nodiscard]] virtual StoreStatus updateSub(const stan::SubState& sub) = 0;
  [[nodiscard]] virtual StoreStatus deleteSub(uint64_t subId) = 0;
  // Message `seq` was sent to subscription `subId`: it becomes pending, last_sent grows.
  [[nodiscard]] virtual StoreStatus addSeqPending(uint64_t subId, uint64_t seq) = 0;
  // Message `seq` was acknowledged by subscription `subId`.
  [[nodiscard]] virtual StoreStatus ackSeqPending(uint64_t subId, uint64_t seq) = 0;

  [[nodiscard]] virtual size_t count() const = 0;
  // Every live subscription with its pending sequences (after recovery: what was on disk).
  [[nodiscard]] virtual const std::map<uint64_t, SubscriptionRecord>& subscriptions() const = 0;
};

// One channel: its name, the limits in force, its messages and subscriptions.
struct Channel {
  std::string name;
  ChannelLimits limits;
  std::unique_ptr<MessageStore> msgs;
  std::unique_ptr<SubStore> subs;
};

// What recover() found.
struct RecoveredState {
  std::optional<stan::ServerInfo> server_info;  // empty on a first start
  std::vector<stan::ClientInfo> clients;
  std::vector<Channel*> channels;  // sorted by name; subscriptions via channel->subs
};

using FlushCallback = std::function<void(StoreStatus)>;

struct StoreStats {
  uint64_t flush_requests = 0;  // flush() calls
  uint64_t sync_rounds = 0;     // group commits (one per fsync round, each serving many flushes)
  uint64_t fsyncs = 0;          // fdatasync/fsync system calls
  uint64_t bytes_written = 0;   // bytes handed to the kernel
  uint64_t compactions = 0;     // clients.dat / subs.dat rewrites started (file store)
  uint64_t compaction_bytes_reclaimed = 0;  // what those files shrank by
};

class Store {
 public:
  virtual ~Store() = default;

  // "MEMORY" or "FILE" (as /streaming/storez names them).
  [[nodiscard]] virtual const char* kind() const = 0;

  // Loads the persisted state: on start and on every FT takeover (use a fresh Store object).
  // Call once, before anything else. Logs what it found and how long it took.
  [[nodiscard]] virtual StoreStatus recover(RecoveredState* out) = 0;
  // Persists the server info (first start, or when the subjects change).
  [[nodiscard]] virtual StoreStatus init(const stan::ServerInfo& info) = 0;

  // Registers client `info.id` (AlreadyExists when it is there: delete it first).
  [[nodiscard]] virtual StoreStatus addClient(const stan::ClientInfo& info) = 0;
  [[nodiscard]] virtual StoreStatus deleteClient(const std::string& clientId) = 0;
  [[nodiscard]] virtual const std::map<std::string, stan::ClientInfo>& clients() const = 0;

  // Creates channel `name` with the limits in force for it. TooManyChannels at max_channels,
  // AlreadyExists when it exists (*out is then the existing channel).
  [[nodiscard]] virtual StoreStatus createChannel(const std::string& name, Channel** out) = 0;
  // The channel, or nullptr.
  [[nodiscard]] virtual Channel* lookupChannel(const std::string& name) = 0;
  // Removes a channel with its messages and subscriptions (max_inactivity).
  [[nodiscard]] virtual StoreStatus deleteChannel(const std::string& name) = 0;
  [[nodiscard]] virtual const std::map<std::string, std::unique_ptr<Channel>>& channels() const = 0;

  // Asks for everything stored so far to become durable; `done` runs on the loop thread once
  // it is (with Ok), or with IoError. Many flushes share one fsync (group commit). The memory
  // store (and nothing to sync) may run `done` before flush() returns.
  virtual void flush(FlushCallback done) = 0;
  [[nodiscard]] virtual StoreStats stats() const = 0;

  // Writes what is buffered, syncs it (blocking: shutdown only), runs every pending flush
  // callback and releases files. Idempotent; the destructor calls it.
  virtual void close() = 0;
};

using StorePtr = std::unique_ptr<Store>;

}  // namespace ftgate::store
