// StreamingService: life cycle, plumbing, clients (connect, close, pings, heartbeats) and
// publish. Subscriptions and delivery are in service_subs.cc.
#include "broker/stan/service.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <random>

namespace ftgate::stan {
namespace {

std::string randomToken(size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out(n, 'x');
  for (char& c : out) c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return out;
}

bool isNoResponders(const broker::InboundMessage& message) {
  return message.headers.rfind("NATS/1.0 503", 0) == 0;
}

}  // namespace

bool isValidClientId(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

bool isValidChannel(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  char previous = 0;
  for (char c : name) {
    if (c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
    if (c == '.' && previous == '.') return false;
    previous = c;
  }
  return true;
}

StreamingService::StreamingService(net::EventLoop& loop, broker::Server& server,
                                   ServiceOptions options)
    : loop_(loop),
      server_(server),
      options_(std::move(options)),
      hbTimer_(loop),
      redeliveryTimer_(loop),
      limitsTimer_(loop) {}

StreamingService::~StreamingService() { stop(); }

uint64_t StreamingService::nowMs() const { return loop_.now(); }

std::string StreamingService::start(store::StorePtr store) {
  store_ = std::move(store);
  const auto began = std::chrono::steady_clock::now();
  store::RecoveredState recovered;
  if (store::StoreStatus st = store_->recover(&recovered); st != store::StoreStatus::Ok) {
    std::string error = std::string("streaming store recovery failed: ") + store::toString(st);
    store_->close();
    store_.reset();
    return error;
  }
  if (recovered.server_info) {
    info_ = *recovered.server_info;
    if (info_.cluster_id() != options_.cluster_id) {
      std::string error = "the store belongs to cluster \"" + info_.cluster_id() + "\", not \"" +
                          options_.cluster_id + "\"";
      store_->close();
      store_.reset();
      return error;
    }
  } else {
    const std::string& cid = options_.cluster_id;
    info_.set_cluster_id(cid);
    info_.set_discovery(options_.discover_prefix + "." + cid);
    info_.set_publish("_STAN.pub." + cid);
    info_.set_subscribe("_STAN.sub." + cid);
    info_.set_unsubscribe("_STAN.unsub." + cid);
    info_.set_close("_STAN.close." + cid);
    info_.set_sub_close("_STAN.subclose." + cid);
    info_.set_acks_subs("_STAN.ack." + cid);
    info_.set_node_id(server_.serverId());
    if (store::StoreStatus st = store_->init(info_); st != store::StoreStatus::Ok) {
      store_->close();
      store_.reset();
      return std::string("cannot persist the streaming server info: ") + store::toString(st);
    }
  }
  pingSubject_ = info_.discovery() + ".pings";
  inboxPrefix_ = "_INBOX." + randomToken(22);
  alive_ = std::make_shared<bool>(true);
  running_ = true;

  for (const stan::ClientInfo& client : recovered.clients) {
    ClientState& state = clients_[client.id()];
    state.info = client;
    if (!client.conn_id().empty()) clientByConnId_[client.conn_id()] = client.id();
  }
  size_t subCount = 0;
  for (store::Channel* channel : recovered.channels) {
    ChannelState* state = adoptChannel(channel);
    recoverSubscriptions(*state);
    subCount += state->subs.size();
  }

  subscribe(info_.discovery(), [this](const broker::InboundMessage& m) { onConnect(m); });
  subscribe(pingSubject_, [this](const broker::InboundMessage& m) { onPing(m); });
  subscribe(info_.publish() + ".>", [this](const broker::InboundMessage& m) { onPublish(m); });
  subscribe(info_.subscribe(), [this](const broker::InboundMessage& m) { onSubscribe(m); });
  subscribe(info_.unsubscribe(),
            [this](const broker::InboundMessage& m) { onUnsubscribe(m, false); });
  subscribe(info_.sub_close(), [this](const broker::InboundMessage& m) { onUnsubscribe(m, true); });
  subscribe(info_.close(), [this](const broker::InboundMessage& m) { onClose(m); });
  subscribe(info_.acks_subs() + ".>", [this](const broker::InboundMessage& m) { onAck(m); });
  subscribe(inboxPrefix_ + ".*", [this](const broker::InboundMessage& m) { onRequestReply(m); });

  hbTimer_.startRepeating(options_.hb_interval, [this] { sendHeartbeats(); });
  redeliveryTimer_.startRepeating(options_.redelivery_tick, [this] { redeliverDue(); });
  limitsTimer_.startRepeating(options_.limits_tick, [this] { enforceChannelLimits(); });
  const auto took = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - began);
  spdlog::info(
      "STAN: streaming service started: cluster id '{}', store {}, recovered {} client(s), {} "
      "channel(s), {} subscription(s) in {} ms",
      info_.cluster_id(), store_->kind(), clients_.size(), channels_.size(), subCount,
      took.count());
  return "";
}

void StreamingService::stop() {
  if (!running_) return;
  running_ = false;
  *alive_ = false;
  for (uint64_t id : internalSubs_) server_.unsubscribeInternal(id);
  internalSubs_.clear();
  hbTimer_.cancel();
  redeliveryTimer_.cancel();
  limitsTimer_.cancel();
  requests_.clear();  // their timers close with them; callbacks never run
  if (store_) store_->close();
  pubAcks_.clear();  // their callbacks ran in close() and were ignored
  spdlog::info("STAN: streaming service stopped");
}

void StreamingService::subscribe(const std::string& subject,
                                 std::function<void(const broker::InboundMessage&)> handler) {
  uint64_t id = server_.subscribeInternal(subject, "", std::move(handler));
  if (id == 0) {
    spdlog::error("STAN: cannot subscribe to '{}'", subject);
    return;
  }
  internalSubs_.push_back(id);
}

void StreamingService::reply(std::string_view subject,
                             const google::protobuf::MessageLite& message) {
  if (subject.empty()) return;
  // A local buffer: publishing can reach an internal subscriber that replies in turn.
  std::string bytes;
  (void)message.AppendToString(&bytes);
  (void)server_.publish(subject, "", "", bytes);
}

void StreamingService::sendRequest(const std::string& subject, Millis timeout,
                                   std::function<void(bool)> done) {
  const uint64_t id = nextRequest_++;
  PendingRequest& pending = requests_[id];
  pending.done = std::move(done);
  pending.timer = std::make_unique<net::Timer>(loop_);
  pending.timer->startOnce(timeout, [this, id] {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    auto done = std::move(it->second.done);
    requests_.erase(it);  // destroys the running timer: allowed by net::Timer
    done(false);
  });
  (void)server_.publish(subject, inboxPrefix_ + "." + std::to_string(id), "", "");
}

void StreamingService::onRequestReply(const broker::InboundMessage& message) {
  if (isNoResponders(message)) return;  // let the timeout decide
  const auto dot = message.subject.rfind('.');
  uint64_t id = 0;
  for (char c : message.subject.substr(dot + 1)) {
    if (c < '0' || c > '9') return;
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  auto done = std::move(it->second.done);
  requests_.erase(it);
  done(true);
}

// ---------------------------------------------------------------- clients

ClientState* StreamingService::lookupClient(const std::string& clientId) {
  auto it = clients_.find(clientId);
  return it == clients_.end() ? nullptr : &it->second;
}

void StreamingService::onConnect(const broker::InboundMessage& message) {
  stan::ConnectRequest request;
  stan::ConnectResponse response;
  if (!request.ParseFromArray(message.payload.data(), static_cast<int>(message.payload.size())) ||
      request.heartbeat_inbox().empty()) {
    response.set_error(errors::kInvalidConnRequest);
    return reply(message.reply, response);
  }
  if (request.client_id().empty()) {
    response.set_error(errors::kMissingClient);
    return reply(message.reply, response);
  }
  if (!isValidClientId(request.client_id())) {
    response.set_error(errors::kInvalidClient);
    return reply(message.reply, response);
  }
  const std::string clientId = request.client_id();
  ClientState* existing = lookupClient(clientId);
  if (existing == nullptr && connectsInProgress_.count(clientId) == 0) {
    return finishConnect(request, std::string(message.reply));
  }
  if (connectsInProgress_.count(clientId) != 0 || existing == nullptr) {
    response.set_error(errors::kDuplicateClient);
    return reply(message.reply, response);
  }
  // Ask the registered client whether it is still there; replace it only if it is not.
  connectsInProgress_.insert(clientId);
  std::string replyTo(message.reply);
  sendRequest(existing->info.hb_inbox(), options_.duplicate_check_timeout,
              [this, request, replyTo, clientId, alive = alive_](bool answered) {
                if (!*alive) return;
                connectsInProgress_.erase(clientId);
                if (answered) {
                  stan::ConnectResponse response;
                  response.set_error(errors::kDuplicateClient);
                  spdlog::debug("STAN: client '{}' already registered and alive", clientId);
                  return reply(replyTo, response);
                }
                if (lookupClient(clientId) != nullptr) removeClient(clientId, "replaced");
                finishConnect(request, replyTo);
              });
}

void StreamingService::finishConnect(const stan::ConnectRequest& request,
                                     const std::string& replyTo) {
  stan::ConnectResponse response;
  stan::ClientInfo info;
  info.set_id(request.client_id());
  info.set_hb_inbox(request.heartbeat_inbox());
  info.set_conn_id(request.conn_id());
  info.set_protocol(request.protocol());
  info.set_ping_interval(request.ping_interval());
  info.set_ping_max_out(request.ping_max_out());
  if (store::StoreStatus st = store_->addClient(info); st != store::StoreStatus::Ok) {
    spdlog::error("STAN: cannot store client '{}': {}", info.id(), store::toString(st));
    response.set_error(errors::kStoreFailed);
    return reply(replyTo, response);
  }
  ClientState& state = clients_[info.id()];
  state = ClientState{};
  state.info = info;
  if (!info.conn_id().empty()) clientByConnId_[info.conn_id()] = info.id();

  response.set_pub_prefix(info_.publish());
  response.set_sub_requests(info_.subscribe());
  response.set_unsub_requests(info_.unsubscribe());
  response.set_close_requests(info_.close());
  response.set_sub_close_requests(info_.sub_close());
  response.set_protocol(1);
  if (request.protocol() >= 1) {
    response.set_ping_requests(pingSubject_);
    response.set_ping_interval(request.ping_interval());
    response.set_ping_max_out(request.ping_max_out());
  }
  spdlog::debug("STAN: client '{}' connected (hb inbox {})", info.id(), info.hb_inbox());
  // The client must not see the response before the registration is durable: a takeover
  // right after would not know it.
  store_->flush([this, response, replyTo, alive = alive_](store::StoreStatus) {
    if (*alive) reply(replyTo, response);
  });
}

void StreamingService::onClose(const broker::InboundMessage& message) {
  stan::CloseRequest request;
  stan::CloseResponse response;
  if (!request.ParseFromArray(message.payload.data(), static_cast<int>(message.payload.size())) ||
      request.client_id().empty()) {
    response.set_error(errors::kInvalidCloseRequest);
    return reply(message.reply, response);
  }
  if (lookupClient(request.client_id()) == nullptr) {
    response.set_error(errors::kUnknownClient);
    return reply(message.reply, response);
  }
  removeClient(request.client_id(), "closed");
  std::string replyTo(message.reply);
  store_->flush([this, response, replyTo, alive = alive_](store::StoreStatus) {
    if (*alive) reply(replyTo, response);
  });
}

void StreamingService::onPing(const broker::InboundMessage& message) {
  stan::Ping ping;
  stan::PingResponse response;
  bool known = false;
  if (ping.ParseFromArray(message.payload.data(), static_cast<int>(message.payload.size()))) {
    auto it = clientByConnId_.find(ping.conn_id());
    if (it != clientByConnId_.end()) {
      if (ClientState* client = lookupClient(it->second)) {
        known = true;
        client->hbFailures = 0;  // a pinging client is alive
      }
    }
  }
  if (!known) response.set_error(errors::kClientReplaced);
  reply(message.reply, response);
}

void StreamingService::sendHeartbeats() {
  for (auto& [id, client] : clients_) {
    if (client.hbOutstanding) continue;
    client.hbOutstanding = true;
    sendRequest(client.info.hb_inbox(), options_.hb_timeout,
                [this, clientId = id, alive = alive_](bool answered) {
                  if (!*alive) return;
                  ClientState* c = lookupClient(clientId);
                  if (c == nullptr) return;
                  c->hbOutstanding = false;
                  if (answered) {
                    c->hbFailures = 0;
                    return;
                  }
                  if (++c->hbFailures >= options_.hb_fail_count) {
                    removeClient(clientId, "missed heartbeats");
                  }
                });
  }
}

void StreamingService::removeClient(const std::string& clientId, const char* why) {
  auto it = clients_.find(clientId);
  if (it == clients_.end()) return;
  std::vector<SubscriptionState*> subs(it->second.subs.begin(), it->second.subs.end());
  for (SubscriptionState* sub : subs) endSubscription(sub, /*closeOnly=*/true);
  auto byConn = clientByConnId_.find(it->second.info.conn_id());
  if (byConn != clientByConnId_.end() && byConn->second == clientId) clientByConnId_.erase(byConn);
  clients_.erase(it);
  if (store::StoreStatus st = store_->deleteClient(clientId); st != store::StoreStatus::Ok) {
    spdlog::warn("STAN: cannot delete client '{}' from the store: {}", clientId,
                 store::toString(st));
  }
  spdlog::info("STAN: client '{}' removed ({})", clientId, why);
}

// ---------------------------------------------------------------- publish

ChannelState* StreamingService::adoptChannel(store::Channel* channel) {
  auto state = std::make_unique<ChannelState>();
  state->name = channel->name;
  state->store = channel;
  state->durableSeq = channel->msgs->lastSequence();
  state->lastActivityMs = nowMs();
  ChannelState* raw = state.get();
  channels_[channel->name] = std::move(state);
  return raw;
}

ChannelState* StreamingService::channelFor(const std::string& name, const char** error) {
  auto it = channels_.find(name);
  if (it != channels_.end()) return it->second.get();
  store::Channel* channel = nullptr;
  store::StoreStatus st = store_->createChannel(name, &channel);
  if (st == store::StoreStatus::TooManyChannels) {
    *error = errors::kTooManyChannels;
    return nullptr;
  }
  if (st == store::StoreStatus::InvalidArgument) {
    *error = errors::kInvalidSubject;
    return nullptr;
  }
  if ((st != store::StoreStatus::Ok && st != store::StoreStatus::AlreadyExists) ||
      channel == nullptr) {
    *error = errors::kStoreFailed;
    return nullptr;
  }
  spdlog::debug("STAN: channel '{}' created", name);
  return adoptChannel(channel);
}

// PubAck{guid = 1, error = 2} encoded by hand into a stack buffer: the reply to every
// publish, so no message object or string is allocated for it.
void StreamingService::sendPubAck(std::string_view replyTo, std::string_view guid,
                                  const char* error) {
  if (replyTo.empty()) return;
  const std::string_view err = error != nullptr ? std::string_view(error) : std::string_view();
  char stackBuf[256];
  std::string heapBuf;
  const size_t maxSize = 2 * (1 + 10) + guid.size() + err.size();
  char* out = stackBuf;
  if (maxSize > sizeof stackBuf) {
    heapBuf.resize(maxSize);
    out = heapBuf.data();
  }
  size_t n = 0;
  auto putField = [&](uint8_t tag, std::string_view value) {
    if (value.empty()) return;
    out[n++] = static_cast<char>(tag);
    for (uint64_t len = value.size();; len >>= 7) {
      if (len < 0x80) {
        out[n++] = static_cast<char>(len);
        break;
      }
      out[n++] = static_cast<char>((len & 0x7F) | 0x80);
    }
    std::memcpy(out + n, value.data(), value.size());
    n += value.size();
  };
  putField(0x0A, guid);  // field 1, length-delimited
  putField(0x12, err);   // field 2, length-delimited
  (void)server_.publish(replyTo, "", "", std::string_view(out, n));
}

void StreamingService::onPublish(const broker::InboundMessage& message) {
  stan::PubMsg pub;
  if (!pub.ParseFromArray(message.payload.data(), static_cast<int>(message.payload.size()))) {
    return sendPubAck(message.reply, "", errors::kInvalidPublish);
  }
  const std::string_view channelName = message.subject.substr(info_.publish().size() + 1);
  if (pub.guid().empty() || pub.subject() != channelName || !isValidChannel(channelName)) {
    return sendPubAck(message.reply, pub.guid(), errors::kInvalidPublish);
  }
  ClientState* client = lookupClient(pub.client_id());
  if (client == nullptr || (!pub.conn_id().empty() && pub.conn_id() != client->info.conn_id())) {
    return sendPubAck(message.reply, pub.guid(), errors::kInvalidPublish);
  }
  const char* error = nullptr;
  ChannelState* channel = channelFor(pub.subject(), &error);
  if (channel == nullptr) return sendPubAck(message.reply, pub.guid(), error);

  stan::MsgProto msg;
  msg.set_subject(pub.subject());
  if (!pub.reply().empty()) msg.set_reply(pub.reply());
  msg.set_data(std::move(*pub.mutable_data()));
  const size_t bytes = msg.data().size();
  uint64_t seq = 0;
  if (store::StoreStatus st = channel->store->msgs->store(std::move(msg), &seq);
      st != store::StoreStatus::Ok) {
    spdlog::error("STAN: cannot store a message on '{}': {}", channel->name, store::toString(st));
    return sendPubAck(message.reply, pub.guid(), errors::kStoreFailed);
  }
  traffic_.in_msgs++;
  traffic_.in_bytes += bytes;
  channel->lastActivityMs = nowMs();
  PendingPubAck& waiting = pubAcks_.emplace_back();
  waiting.channel = channel->name;
  waiting.replyTo = message.reply;
  waiting.guid = std::move(*pub.mutable_guid());
  waiting.seq = seq;
  const uint64_t ticket = pubAckHead_ + pubAcks_.size() - 1;
  // stop() closes the store, which runs every pending callback while running_ is false.
  store_->flush([this, ticket](store::StoreStatus status) {
    if (running_) onPublishFlushed(ticket, status);
  });
}

void StreamingService::onPublishFlushed(uint64_t ticket, store::StoreStatus status) {
  // Callbacks come back in flush order; anything older than `ticket` is durable too.
  while (!pubAcks_.empty() && pubAckHead_ <= ticket) {
    PendingPubAck done = std::move(pubAcks_.front());  // answering may publish re-entrantly
    pubAcks_.pop_front();
    ++pubAckHead_;
    onPublishDurable(done.channel, done.seq, done.replyTo, done.guid, status);
  }
}

void StreamingService::onPublishDurable(const std::string& channelName, uint64_t seq,
                                        std::string_view replyTo, std::string_view guid,
                                        store::StoreStatus status) {
  if (status != store::StoreStatus::Ok) return sendPubAck(replyTo, guid, errors::kStoreFailed);
  sendPubAck(replyTo, guid, nullptr);
  auto it = channels_.find(channelName);
  if (it == channels_.end()) return;
  ChannelState& channel = *it->second;
  if (seq > channel.durableSeq) channel.durableSeq = seq;
  deliverChannel(channel);
}

// ---------------------------------------------------------------- channel limits

void StreamingService::enforceChannelLimits() {
  const uint64_t now = nowMs();
  std::vector<std::string> idle;
  for (auto& [name, channel] : channels_) {
    const store::ChannelLimits& limits = channel->store->limits;
    if (limits.max_age.count() > 0) (void)channel->store->msgs->expireMessages();
    const auto maxInactivity = std::chrono::duration_cast<Millis>(limits.max_inactivity).count();
    if (maxInactivity > 0 && channel->subs.empty() &&
        now - channel->lastActivityMs >= static_cast<uint64_t>(maxInactivity)) {
      idle.push_back(name);
    }
  }
  for (const std::string& name : idle) {
    if (store::StoreStatus st = store_->deleteChannel(name); st != store::StoreStatus::Ok) {
      spdlog::warn("STAN: cannot delete inactive channel '{}': {}", name, store::toString(st));
      continue;
    }
    channels_.erase(name);
    spdlog::info("STAN: channel '{}' deleted after max_inactivity", name);
  }
}

ServiceCounts StreamingService::counts() const {
  ServiceCounts out = traffic_;
  out.clients = clients_.size();
  out.channels = channels_.size();
  for (const auto& [name, channel] : channels_) {
    for (const auto& [id, sub] : channel->subs) {
      if (!sub->offline()) out.subscriptions++;
    }
    out.total_msgs += channel->store->msgs->count();
    out.total_bytes += channel->store->msgs->bytes();
  }
  return out;
}

}  // namespace ftgate::stan
