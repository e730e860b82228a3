// The NATS Streaming service's in-memory view of what it serves: clients, channels,
// subscriptions and queue groups. The Store keeps the persisted half (stan::ClientInfo,
// stan::SubState, pending sequences); these structs add what only a live server needs
// (heartbeat failures, ack deadlines, round-robin cursors) and the indexes to find things.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/stan/protocol.pb.h"
#include "broker/store/store.h"

namespace ftgate::stan {

struct ChannelState;
struct QueueGroup;

// One message delivered to a subscription and not yet acknowledged.
struct PendingDelivery {
  uint64_t deadlineMs = 0;  // loop time (ms) after which it is redelivered
  uint32_t redeliveries = 0;
};

// A live subscription (or an offline durable, or the closed "shadow" of a durable queue group).
struct SubscriptionState {
  stan::SubState state;  // persisted half; state.last_sent is the plain sub's position
  ChannelState* channel = nullptr;
  QueueGroup* group = nullptr;  // null for plain subscriptions
  std::map<uint64_t, PendingDelivery> pending;
  // Never later than the earliest deadline in `pending` (0: unknown, look at them all): the
  // redelivery tick skips the subscription until then instead of visiting every pending entry.
  uint64_t earliestDeadlineMs = 0;
  uint64_t outMsgs = 0;
  // Created or resumed, but the SubscriptionResponse (which tells the client its ack inbox)
  // has not been sent yet: nothing is delivered or redelivered to it until then, or a client
  // could get a message it cannot acknowledge (node-nats-streaming then acks to an empty
  // subject).
  bool awaitingReply = false;
  // An offline durable (client gone or sub closed): keeps its position, receives nothing.
  [[nodiscard]] bool offline() const { return state.is_closed(); }
  [[nodiscard]] bool hasRoom() const {
    return !awaitingReply && static_cast<int64_t>(pending.size()) < state.max_in_flight();
  }
};

// Queue members share one position; each message goes to one member with room.
struct QueueGroup {
  std::string key;  // q_group, or durable_name + ":" + q_group for a durable group
  bool durable = false;
  uint64_t lastSent = 0;
  std::vector<SubscriptionState*> members;  // live members (never the shadow)
  SubscriptionState* shadow = nullptr;      // durable group whose last member closed
  size_t cursor = 0;                        // round-robin
};

struct ChannelState {
  std::string name;
  store::Channel* store = nullptr;
  uint64_t durableSeq = 0;  // last sequence known durable: never deliver past it
  std::map<uint64_t, std::unique_ptr<SubscriptionState>> subs;  // by sub id
  std::map<std::string, std::unique_ptr<QueueGroup>> groups;    // by QueueGroup::key
  std::map<std::string, SubscriptionState*> durables;           // client_id + "\n" + name
  uint64_t lastActivityMs = 0;
};

struct ClientState {
  stan::ClientInfo info;
  int hbFailures = 0;
  bool hbOutstanding = false;
  std::set<SubscriptionState*> subs;  // its live subscriptions
};

// Error texts the clients know (nats-streaming-server's).
namespace errors {
inline constexpr const char* kInvalidSubject = "stan: invalid subject";
inline constexpr const char* kInvalidStart = "stan: invalid start position";
inline constexpr const char* kDuplicateClient = "stan: clientID already registered";
inline constexpr const char* kMissingClient = "stan: clientID missing";
inline constexpr const char* kInvalidClient =
    "stan: invalid clientID: only alphanumeric and `-` or `_` characters allowed";
inline constexpr const char* kInvalidAckWait = "stan: invalid ack wait time, should be >= 1s";
inline constexpr const char* kInvalidMaxInflight = "stan: invalid MaxInflight, should be >= 1";
inline constexpr const char* kInvalidPublish = "stan: invalid publish request";
inline constexpr const char* kInvalidSubRequest = "stan: invalid subscription request";
inline constexpr const char* kInvalidUnsubRequest = "stan: invalid unsubscribe request";
inline constexpr const char* kInvalidConnRequest = "stan: invalid connection request";
inline constexpr const char* kInvalidCloseRequest = "stan: invalid close request";
inline constexpr const char* kDuplicateDurable = "stan: duplicate durable registration";
inline constexpr const char* kUnknownClient = "stan: unknown clientID";
inline constexpr const char* kUnknownChannel = "stan: unknown channel";
inline constexpr const char* kTooManyChannels = "stan: too many channels";
inline constexpr const char* kTooManySubs = "stan: too many subscriptions per channel";
inline constexpr const char* kStoreFailed = "stan: store failure";
inline constexpr const char* kClientReplaced =
    "client has been replaced or is no longer registered";
}  // namespace errors

// `^[a-zA-Z0-9_-]+$`
[[nodiscard]] bool isValidClientId(const std::string& id);
// A publishable channel name: dot-separated non-empty tokens, no wildcards, no spaces.
[[nodiscard]] bool isValidChannel(std::string_view name);

}  // namespace ftgate::stan
