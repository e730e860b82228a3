// StreamingService: subscriptions (plain, queue, durable, durable queue), start positions,
// delivery with max in flight, acks, redelivery after ack wait, and their recovery.
//
// Queue groups share one position (QueueGroup::lastSent); each message goes to one member with
// room, round-robin. A durable queue group whose last member Close()s keeps a "shadow"
// (the last member's record, is_closed=true) holding the position and the unacknowledged
// messages; the next member to join takes it over. A plain durable that is closed, or whose
// client goes away, is offline (is_closed=true) until the same client ID resumes it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <random>

#include "broker/stan/service.h"

namespace ftgate::stan {
namespace {

std::string groupKey(const stan::SubState& s) {
  return s.durable_name().empty() ? s.q_group() : s.durable_name() + ":" + s.q_group();
}

std::string durableKey(const stan::SubState& s) { return s.client_id() + "\n" + s.durable_name(); }

std::string randomAckToken() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out(22, 'x');
  for (char& c : out) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return out;
}

void logStore(store::StoreStatus st, const char* what) {
  if (st != store::StoreStatus::Ok) spdlog::warn("STAN: store {}: {}", what, store::toString(st));
}

}  // namespace

void StreamingService::onSubscribe(const broker::InboundMessage& message) {
  stan::SubscriptionRequest request;
  stan::SubscriptionResponse response;
  std::string ackInbox;
  const char* error = nullptr;
  if (!request.ParseFromArray(message.payload.data(), static_cast<int>(message.payload.size()))) {
    error = errors::kInvalidSubRequest;
  } else {
    error = createSubscription(request, &ackInbox);
  }
  if (error != nullptr) {
    response.set_error(error);
    return reply(message.reply, response);
  }
  response.set_ack_inbox(ackInbox);
  // Reply once the subscription is durable, then deliver: the client must know its ack inbox
  // before the first message arrives.
  store_->flush([this, response, replyTo = std::string(message.reply), ackInbox,
                 alive = alive_](store::StoreStatus) {
    if (!*alive) return;
    reply(replyTo, response);
    auto it = subsByAckInbox_.find(ackInbox);
    if (it != subsByAckInbox_.end()) {
      SubscriptionState* sub = it->second;
      sub->awaitingReply = false;
      // A resumed subscription's unacknowledged messages come again now.
      for (auto& [seq, p] : sub->pending) p.deadlineMs = 0;
      sub->earliestDeadlineMs = 0;
      redeliverDue();
      deliverChannel(*sub->channel);
    }
  });
}

const char* StreamingService::createSubscription(const stan::SubscriptionRequest& request,
                                                 std::string* ackInbox) {
  if (request.inbox().empty() || request.client_id().empty()) return errors::kInvalidSubRequest;
  if (!isValidChannel(request.subject())) return errors::kInvalidSubject;
  if (request.ack_wait_in_secs() < 1) return errors::kInvalidAckWait;
  if (request.max_in_flight() < 1) return errors::kInvalidMaxInflight;
  if (!stan::StartPosition_IsValid(request.start_position())) return errors::kInvalidStart;
  if (lookupClient(request.client_id()) == nullptr) return errors::kUnknownClient;
  const char* error = nullptr;
  ChannelState* channel = channelFor(request.subject(), &error);
  if (channel == nullptr) return error;

  stan::SubState fresh;
  fresh.set_client_id(request.client_id());
  fresh.set_q_group(request.q_group());
  fresh.set_inbox(request.inbox());
  fresh.set_ack_inbox(info_.acks_subs() + "." + randomAckToken());
  fresh.set_max_in_flight(request.max_in_flight());
  fresh.set_ack_wait_in_secs(request.ack_wait_in_secs());
  fresh.set_durable_name(request.durable_name());
  fresh.set_is_durable(!request.durable_name().empty());

  // Resuming an existing record (offline durable, or a durable queue group's shadow).
  auto resume = [&](SubscriptionState* sub) {
    subsByAckInbox_.erase(sub->state.ack_inbox());
    const uint64_t id = sub->state.id();
    const uint64_t lastSent = sub->state.last_sent();
    sub->state = fresh;
    sub->state.set_id(id);
    sub->state.set_last_sent(lastSent);
    persist(*sub);
    registerLive(sub);
    sub->awaitingReply = true;
    *ackInbox = sub->state.ack_inbox();
    return nullptr;
  };
  auto create = [&](uint64_t lastSent, QueueGroup* group) -> SubscriptionState* {
    fresh.set_last_sent(lastSent);
    store::StoreStatus st = channel->store->subs->createSub(fresh);
    if (st != store::StoreStatus::Ok) return nullptr;
    auto sub = std::make_unique<SubscriptionState>();
    sub->state = fresh;
    sub->channel = channel;
    sub->group = group;
    SubscriptionState* raw = sub.get();
    channel->subs[fresh.id()] = std::move(sub);
    registerLive(raw);
    raw->awaitingReply = true;
    *ackInbox = raw->state.ack_inbox();
    return raw;
  };
  auto createError = [&]() {
    return channel->store->subs->count() >= static_cast<size_t>(channel->store->limits.max_subs) &&
                   channel->store->limits.max_subs > 0
               ? errors::kTooManySubs
               : errors::kStoreFailed;
  };

  if (!request.q_group().empty()) {
    const std::string key = groupKey(fresh);
    auto it = channel->groups.find(key);
    if (it != channel->groups.end()) {
      QueueGroup& group = *it->second;
      if (group.shadow != nullptr) {
        SubscriptionState* sub = group.shadow;
        group.shadow = nullptr;
        group.members.push_back(sub);
        return resume(sub);
      }
      SubscriptionState* sub = create(group.lastSent, &group);
      if (sub == nullptr) return createError();
      group.members.push_back(sub);
      return nullptr;
    }
    uint64_t start = startSequence(request, *channel, &error);
    if (error != nullptr) return error;
    auto group = std::make_unique<QueueGroup>();
    group->key = key;
    group->durable = fresh.is_durable();
    group->lastSent = start - 1;
    SubscriptionState* sub = create(start - 1, group.get());
    if (sub == nullptr) return createError();
    group->members.push_back(sub);
    channel->groups[key] = std::move(group);
    return nullptr;
  }
  if (fresh.is_durable()) {
    const std::string key = durableKey(fresh);
    auto it = channel->durables.find(key);
    if (it != channel->durables.end()) {
      if (!it->second->offline()) return errors::kDuplicateDurable;
      return resume(it->second);
    }
  }
  uint64_t start = startSequence(request, *channel, &error);
  if (error != nullptr) return error;
  SubscriptionState* sub = create(start - 1, nullptr);
  if (sub == nullptr) return createError();
  if (fresh.is_durable()) channel->durables[durableKey(fresh)] = sub;
  return nullptr;
}

// The first sequence to deliver for a new subscription.
uint64_t StreamingService::startSequence(const stan::SubscriptionRequest& request,
                                         ChannelState& channel, const char** error) {
  store::MessageStore& msgs = *channel.store->msgs;
  const uint64_t last = msgs.lastSequence();
  const uint64_t first = msgs.firstSequence() == 0 ? 1 : msgs.firstSequence();
  switch (request.start_position()) {
    case stan::NewOnly:
      return last + 1;
    case stan::LastReceived:
      return last == 0 ? 1 : std::max(last, first);
    case stan::TimeDeltaStart: {
      const int64_t since = store::systemNowNs() - request.start_time_delta();
      return std::max(first, msgs.sequenceFromTimestamp(since));
    }
    case stan::SequenceStart: {
      uint64_t seq = request.start_sequence();
      if (seq < first) seq = first;
      if (seq > last + 1) seq = last + 1;
      return seq;
    }
    case stan::First:
      return first;
    default:
      *error = errors::kInvalidStart;
      return 0;
  }
}

void StreamingService::registerLive(SubscriptionState* sub) {
  sub->state.set_is_closed(false);
  subsByAckInbox_[sub->state.ack_inbox()] = sub;
  if (ClientState* client = lookupClient(sub->state.client_id())) client->subs.insert(sub);
}

void StreamingService::persist(const SubscriptionState& sub) {
  logStore(sub.channel->store->subs->updateSub(sub.state), "update subscription");
}

void StreamingService::onUnsubscribe(const broker::InboundMessage& message, bool closeOnly) {
  stan::UnsubscribeRequest request;
  stan::SubscriptionResponse response;
  SubscriptionState* sub = nullptr;
  if (request.ParseFromArray(message.payload.data(), static_cast<int>(message.payload.size()))) {
    auto it = subsByAckInbox_.find(request.inbox());
    if (it != subsByAckInbox_.end() && it->second->state.client_id() == request.client_id())
      sub = it->second;
  }
  if (sub == nullptr) {
    response.set_error(errors::kInvalidUnsubRequest);
    return reply(message.reply, response);
  }
  endSubscription(sub, closeOnly);
  store_->flush(
      [this, response, replyTo = std::string(message.reply), alive = alive_](store::StoreStatus) {
        if (*alive) reply(replyTo, response);
      });
}

void StreamingService::endSubscription(SubscriptionState* sub, bool closeOnly) {
  subsByAckInbox_.erase(sub->state.ack_inbox());
  if (ClientState* client = lookupClient(sub->state.client_id())) client->subs.erase(sub);
  ChannelState& channel = *sub->channel;
  if (QueueGroup* group = sub->group) {
    std::erase(group->members, sub);
    if (group->members.empty()) {
      if (group->durable && closeOnly) {
        sub->state.set_is_closed(true);
        sub->state.set_last_sent(group->lastSent);
        persist(*sub);
        group->shadow = sub;
        return;
      }
      const std::string key = group->key;
      forgetSubscription(sub);
      channel.groups.erase(key);
      return;
    }
    // The others take over what this member had not acknowledged.
    size_t next = 0;
    for (auto& [seq, p] : sub->pending) {
      SubscriptionState* member = group->members[next++ % group->members.size()];
      member->pending[seq] = PendingDelivery{0, p.redeliveries};
      member->earliestDeadlineMs = 0;
      logStore(channel.store->subs->addSeqPending(member->state.id(), seq), "move pending");
    }
    forgetSubscription(sub);
    deliverGroup(*group);
    return;
  }
  if (sub->state.is_durable() && closeOnly) {
    sub->state.set_is_closed(true);
    persist(*sub);
    return;
  }
  if (sub->state.is_durable()) channel.durables.erase(durableKey(sub->state));
  forgetSubscription(sub);
}

void StreamingService::forgetSubscription(SubscriptionState* sub) {
  ChannelState& channel = *sub->channel;
  const uint64_t id = sub->state.id();
  channel.lastActivityMs = nowMs();  // max_inactivity counts from the last subscription gone
  logStore(channel.store->subs->deleteSub(id), "delete subscription");
  channel.subs.erase(id);  // frees `sub`
}

void StreamingService::onAck(const broker::InboundMessage& message) {
  auto it = subsByAckInbox_.find(message.subject);
  if (it == subsByAckInbox_.end()) return;
  stan::Ack ack;
  if (!ack.ParseFromArray(message.payload.data(), static_cast<int>(message.payload.size()))) return;
  SubscriptionState* sub = it->second;
  if (sub->pending.erase(ack.sequence()) == 0) return;
  logStore(sub->channel->store->subs->ackSeqPending(sub->state.id(), ack.sequence()), "ack");
  if (sub->group != nullptr) {
    deliverGroup(*sub->group);
  } else {
    deliverPlain(*sub);
  }
}

void StreamingService::deliverChannel(ChannelState& channel) {
  for (auto& [id, sub] : channel.subs) {
    if (sub->group == nullptr && !sub->offline()) deliverPlain(*sub);
  }
  for (auto& [key, group] : channel.groups) deliverGroup(*group);
}

void StreamingService::deliverPlain(SubscriptionState& sub) {
  store::MessageStore& msgs = *sub.channel->store->msgs;
  while (!sub.offline() && sub.hasRoom() && sub.state.last_sent() < sub.channel->durableSeq) {
    const uint64_t seq = std::max(sub.state.last_sent() + 1, msgs.firstSequence());
    if (seq > sub.channel->durableSeq) break;
    sendMessage(sub, seq, false);
  }
}

void StreamingService::deliverGroup(QueueGroup& group) {
  if (group.members.empty()) return;
  ChannelState& channel = *group.members.front()->channel;
  store::MessageStore& msgs = *channel.store->msgs;
  while (group.lastSent < channel.durableSeq) {
    SubscriptionState* target = nullptr;
    for (size_t i = 0; i < group.members.size(); ++i) {
      SubscriptionState* m = group.members[(group.cursor + i) % group.members.size()];
      if (m->hasRoom()) {
        target = m;
        group.cursor = (group.cursor + i + 1) % group.members.size();
        break;
      }
    }
    if (target == nullptr) return;
    const uint64_t seq = std::max(group.lastSent + 1, msgs.firstSequence());
    if (seq > channel.durableSeq) return;
    group.lastSent = seq;
    sendMessage(*target, seq, false);
  }
}

// Sends message `seq` to `sub`'s inbox. A first delivery makes it pending (and moves the
// position); a redelivery sets redelivered and restarts the ack wait.
void StreamingService::sendMessage(SubscriptionState& sub, uint64_t seq, bool redelivery) {
  store::MsgPtr msg = sub.channel->store->msgs->lookup(seq);
  if (!redelivery) {
    if (seq > sub.state.last_sent()) sub.state.set_last_sent(seq);
  }
  if (msg == nullptr) {  // expired or unreadable: nothing to wait for
    if (sub.pending.erase(seq) != 0)
      logStore(sub.channel->store->subs->ackSeqPending(sub.state.id(), seq), "drop pending");
    return;
  }
  PendingDelivery& p = sub.pending[seq];
  std::string heapBytes;
  char stackBytes[1024];  // small messages are encoded without an allocation
  std::string_view bytes;
  if (redelivery) {
    p.redeliveries++;
    stan::MsgProto copy = *msg;
    copy.set_redelivered(true);
    copy.set_redelivery_count(p.redeliveries);
    (void)copy.AppendToString(&heapBytes);
    bytes = heapBytes;
  } else {
    const size_t size = msg->ByteSizeLong();
    char* out = stackBytes;
    if (size > sizeof stackBytes) {
      heapBytes.resize(size);
      out = heapBytes.data();
    }
    msg->SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out));
    bytes = std::string_view(out, size);
    logStore(sub.channel->store->subs->addSeqPending(sub.state.id(), seq), "sent");
  }
  p.deadlineMs = nowMs() + static_cast<uint64_t>(sub.state.ack_wait_in_secs()) * 1000;
  sub.earliestDeadlineMs = std::min(sub.earliestDeadlineMs, p.deadlineMs);
  sub.outMsgs++;
  traffic_.out_msgs++;
  traffic_.out_bytes += msg->data().size();
  (void)server_.publish(sub.state.inbox(), "", "", bytes);
}

// Redelivers, in sequence order, what each live subscription has waited for past its ack
// wait. A subscription whose earliest deadline is still ahead costs one comparison per tick;
// its pending entries are visited only when one of them is due.
void StreamingService::redeliverDue() {
  const uint64_t now = nowMs();
  std::vector<uint64_t> due;
  for (auto& [name, channel] : channels_) {
    for (auto& [id, sub] : channel->subs) {
      if (sub->offline() || sub->awaitingReply || sub->earliestDeadlineMs > now) continue;
      due.clear();
      uint64_t earliest = UINT64_MAX;
      for (const auto& [seq, p] : sub->pending) {
        if (p.deadlineMs <= now) {
          due.push_back(seq);
        } else {
          earliest = std::min(earliest, p.deadlineMs);
        }
      }
      sub->earliestDeadlineMs = earliest;  // sendMessage lowers it to the new deadlines
      for (uint64_t seq : due) sendMessage(*sub, seq, true);
    }
  }
}

// Rebuilds the channel's subscriptions from the store. Subscriptions of clients that are gone
// are deleted, unless durable (then offline). Unacknowledged messages are due at once.
void StreamingService::recoverSubscriptions(ChannelState& channel) {
  std::vector<uint64_t> dropped;
  for (const auto& [id, record] : channel.store->subs->subscriptions()) {
    auto sub = std::make_unique<SubscriptionState>();
    sub->state = record.state;
    sub->channel = &channel;
    for (uint64_t seq : record.pending) sub->pending[seq] = PendingDelivery{0, 0};
    sub->earliestDeadlineMs = 0;
    const bool clientThere = lookupClient(sub->state.client_id()) != nullptr;
    if (!clientThere || sub->state.is_closed()) {
      if (!sub->state.is_durable()) {
        dropped.push_back(id);
        continue;
      }
      sub->state.set_is_closed(true);
    }
    SubscriptionState* raw = sub.get();
    channel.subs[id] = std::move(sub);
    if (!raw->state.q_group().empty()) {
      const std::string key = groupKey(raw->state);
      auto& group = channel.groups[key];
      if (!group) {
        group = std::make_unique<QueueGroup>();
        group->key = key;
        group->durable = raw->state.is_durable();
      }
      raw->group = group.get();
      group->lastSent = std::max(group->lastSent, raw->state.last_sent());
      if (raw->offline()) {
        if (group->shadow == nullptr) {
          group->shadow = raw;
        } else {
          dropped.push_back(id);  // one shadow is enough
        }
        continue;
      }
      group->members.push_back(raw);
    } else if (raw->state.is_durable()) {
      channel.durables[durableKey(raw->state)] = raw;
    }
    if (!raw->offline()) registerLive(raw);
  }
  // A group with live members needs no shadow.
  for (auto& [key, group] : channel.groups) {
    if (group->shadow != nullptr && !group->members.empty()) {
      dropped.push_back(group->shadow->state.id());
      group->shadow = nullptr;
    }
  }
  for (uint64_t id : dropped) {
    logStore(channel.store->subs->deleteSub(id), "drop recovered subscription");
    channel.subs.erase(id);
  }
  std::erase_if(channel.groups, [](const auto& entry) {
    return entry.second->members.empty() && entry.second->shadow == nullptr;
  });
}

}  // namespace ftgate::stan
