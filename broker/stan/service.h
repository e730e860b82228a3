// StreamingService: the NATS Streaming (STAN) protocol inside ftbroker.
//
// It runs as internal subscribers of the core Server (no socket, no extra connection):
//
//   <discover>.<cluster_id>          ConnectRequest  → ConnectResponse
//   <discover>.<cluster_id>.pings    Ping            → PingResponse
//   <pub prefix>.<channel>           PubMsg          → store → flush → PubAck, deliver
//   <sub requests>                   SubscriptionRequest → SubscriptionResponse{ackInbox}
//   <unsub / subclose requests>      UnsubscribeRequest  → SubscriptionResponse
//   <close requests>                 CloseRequest    → CloseResponse
//   <acks prefix>.<id>               Ack             → pending released, more delivered
//
// A PubAck is sent, and the message delivered to subscribers, only once the store says the
// message is durable (Store::flush callback; the file store group-commits many publishes into
// one fsync). Unacknowledged deliveries are redelivered after the subscription's ack wait with
// redelivered=true. Server heartbeats go to each client's heartbeat inbox every hb_interval;
// after hb_fail_count unanswered ones (hb_timeout each) the client is removed.
//
// Life cycle: one object per serving period. start() takes a freshly recovered Store (start
// of the process, or FT takeover): clients keep their connID so their sessions continue,
// subscriptions keep their positions and their unacknowledged messages are redelivered.
// stop() (FT fencing, shutdown) unsubscribes, cancels timers and closes the store.
//
// Threading: everything runs on the loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/server.h"
#include "broker/stan/service_state.h"
#include "broker/store/store.h"
#include "common/net/event_loop.h"
#include "common/net/timer.h"

namespace ftgate::stan {

using Millis = std::chrono::milliseconds;

struct ServiceOptions {
  std::string cluster_id = "test-cluster";
  std::string discover_prefix = "_STAN.discover";
  Millis hb_interval{30000};
  Millis hb_timeout{10000};
  int hb_fail_count = 10;
  // How long a duplicate client ID check waits for the old client's heartbeat answer.
  Millis duplicate_check_timeout{500};
  // Resolution of the ack-wait scan (redeliveries are due at most this late).
  Millis redelivery_tick{100};
  // How often max_age (store expireMessages) and max_inactivity (channel deletion) are
  // enforced: a message or an idle channel outlives its limit by at most this much.
  Millis limits_tick{1000};
  // max_age and max_inactivity per channel come from the store's Channel::limits; the store
  // enforces max_msgs, max_bytes and max_subs itself. Kept here for /streaming/storez.
  store::StoreLimits limits;
};

// Counts for /streaming/serverz.
struct ServiceCounts {
  uint64_t clients = 0;
  uint64_t subscriptions = 0;
  uint64_t channels = 0;
  uint64_t total_msgs = 0;
  uint64_t total_bytes = 0;
  uint64_t in_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_msgs = 0;
  uint64_t out_bytes = 0;
};

class StreamingService {
 public:
  StreamingService(net::EventLoop& loop, broker::Server& server, ServiceOptions options);
  ~StreamingService();  // stop()
  StreamingService(const StreamingService&) = delete;
  StreamingService& operator=(const StreamingService&) = delete;

  // Recovers `store` (a fresh object: it must not have been recovered yet), rebuilds clients,
  // channels and subscriptions, persists the server info on a first start, subscribes to the
  // protocol subjects and arms the timers. Returns "" or an error text (the service is then
  // stopped).
  [[nodiscard]] std::string start(store::StorePtr store);
  // Stops serving: internal subscriptions dropped, timers cancelled, pending flush callbacks
  // ignored, store closed. Idempotent.
  void stop();
  [[nodiscard]] bool running() const { return running_; }

  [[nodiscard]] const stan::ServerInfo& serverInfo() const { return info_; }
  [[nodiscard]] ServiceCounts counts() const;
  [[nodiscard]] store::Store* store() const { return store_.get(); }
  [[nodiscard]] const ServiceOptions& options() const { return options_; }
  [[nodiscard]] const std::map<std::string, ClientState>& clients() const { return clients_; }
  [[nodiscard]] const std::map<std::string, std::unique_ptr<ChannelState>>& channels() const {
    return channels_;
  }

 private:
  // --- plumbing (service.cc) ---
  void subscribe(const std::string& subject,
                 std::function<void(const broker::InboundMessage&)> handler);
  void reply(std::string_view subject, const google::protobuf::MessageLite& message);
  // A NATS request from the service: `done(true)` when anything answers within `timeout`.
  void sendRequest(const std::string& subject, Millis timeout, std::function<void(bool)> done);
  void onRequestReply(const broker::InboundMessage& message);
  [[nodiscard]] uint64_t nowMs() const;

  // --- clients (service.cc) ---
  void onConnect(const broker::InboundMessage& message);
  void finishConnect(const stan::ConnectRequest& request, const std::string& replyTo);
  void onClose(const broker::InboundMessage& message);
  void onPing(const broker::InboundMessage& message);
  void sendHeartbeats();
  // Removes the client: durables go offline, other subscriptions are deleted.
  void removeClient(const std::string& clientId, const char* why);
  [[nodiscard]] ClientState* lookupClient(const std::string& clientId);

  // --- publish (service.cc) ---
  void onPublish(const broker::InboundMessage& message);
  // The store's flush callback for publish `ticket`: answers (and delivers) every waiting
  // publish up to it, in publish order.
  void onPublishFlushed(uint64_t ticket, store::StoreStatus status);
  void onPublishDurable(const std::string& channel, uint64_t seq, std::string_view replyTo,
                        std::string_view guid, store::StoreStatus status);
  void sendPubAck(std::string_view replyTo, std::string_view guid, const char* error);
  [[nodiscard]] ChannelState* channelFor(const std::string& name, const char** error);
  ChannelState* adoptChannel(store::Channel* channel);

  // --- subscriptions (service_subs.cc) ---
  void onSubscribe(const broker::InboundMessage& message);
  void onUnsubscribe(const broker::InboundMessage& message, bool closeOnly);
  void onAck(const broker::InboundMessage& message);
  // Creates or resumes a subscription; "" or an error text.
  [[nodiscard]] const char* createSubscription(const stan::SubscriptionRequest& request,
                                               std::string* ackInbox);
  [[nodiscard]] uint64_t startSequence(const stan::SubscriptionRequest& request,
                                       ChannelState& channel, const char** error);
  // Ends a live subscription: closeOnly keeps durables (offline) and durable queue groups.
  void endSubscription(SubscriptionState* sub, bool closeOnly);
  void forgetSubscription(SubscriptionState* sub);
  void persist(const SubscriptionState& sub);
  void registerLive(SubscriptionState* sub);
  // Delivers what each subscription of `channel` has room for, up to channel.durableSeq.
  void deliverChannel(ChannelState& channel);
  void deliverPlain(SubscriptionState& sub);
  void deliverGroup(QueueGroup& group);
  void sendMessage(SubscriptionState& sub, uint64_t seq, bool redelivery);
  void redeliverDue();
  void recoverSubscriptions(ChannelState& channel);

  // --- channel limits (service.cc) ---
  // Expires messages older than max_age and deletes channels without any subscription (live
  // or offline durable) that saw no publish or subscription change for max_inactivity.
  void enforceChannelLimits();

  net::EventLoop& loop_;
  broker::Server& server_;
  ServiceOptions options_;
  store::StorePtr store_;
  bool running_ = false;
  // Shared with flush callbacks: false once stopped, so late callbacks do nothing.
  std::shared_ptr<bool> alive_;

  stan::ServerInfo info_;
  std::string pingSubject_;
  std::vector<uint64_t> internalSubs_;
  std::string inboxPrefix_;  // replies to the service's own requests
  uint64_t nextRequest_ = 1;
  struct PendingRequest {
    std::unique_ptr<net::Timer> timer;
    std::function<void(bool)> done;
  };
  std::unordered_map<uint64_t, PendingRequest> requests_;

  std::map<std::string, ClientState> clients_;
  std::unordered_map<std::string, std::string> clientByConnId_;
  std::map<std::string, std::unique_ptr<ChannelState>> channels_;
  // Transparent hash: acks are looked up by the subject's string_view without a copy.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, SubscriptionState*, StringHash, std::equal_to<>> subsByAckInbox_;
  // Publishes stored and waiting for their flush, oldest first; the front has ticket
  // pubAckHead_. The flush callback carries only (this, ticket), which std::function keeps
  // without a heap allocation.
  struct PendingPubAck {
    std::string channel;
    std::string replyTo;
    std::string guid;
    uint64_t seq = 0;
  };
  std::deque<PendingPubAck> pubAcks_;
  uint64_t pubAckHead_ = 0;
  std::set<std::string> connectsInProgress_;  // duplicate checks running
  uint64_t nextAckId_ = 1;

  net::Timer hbTimer_;
  net::Timer redeliveryTimer_;
  net::Timer limitsTimer_;
  ServiceCounts traffic_;  // in/out counters only
};

}  // namespace ftgate::stan
