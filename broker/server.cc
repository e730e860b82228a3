#include "broker/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "broker/client_connection.h"
#include "common/nats/encoder.h"
#include "common/nats/server_info.h"
#include "common/nats/subject.h"

#ifndef FTGATE_VERSION
#define FTGATE_VERSION "0.0.0"
#endif

namespace ftgate::broker {

namespace {

// The version INFO reports. Clients gate features (headers, no-responders) on the server
// version, so ftbroker reports the nats-server protocol level it implements; its own version
// goes into server_name's log line and "go".
constexpr const char* kProtocolVersion = "2.10.0";
constexpr std::string_view kNoRespondersHeader = "NATS/1.0 503\r\n\r\n";

// 56 characters of base32 starting with 'N', like a nats-server id (an nkey public key).
std::string makeServerId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::random_device device;
  std::mt19937_64 random(
      (static_cast<uint64_t>(device()) << 32) ^ device() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::string id = "N";
  while (id.size() < 56) id.push_back(kAlphabet[random() % 32]);
  return id;
}

}  // namespace

Server::Server(net::EventLoop& loop, const BrokerOptions& options)
    : loop_(loop),
      options_(options),
      serverId_(makeServerId()),
      serverName_(options.server_name.empty() ? serverId_ : options.server_name),
      start_(std::chrono::system_clock::now()),
      boundPort_(options.port),
      pingTimer_(loop),
      writeDeadlineTimer_(loop) {
  internalClient_ = std::make_unique<ClientConnection>(*this, 0, nullptr);
  stats_.start = start_;
}

Server::~Server() {
  pingTimer_.close();
  writeDeadlineTimer_.close();
  if (listener_) listener_->close();
  // ClientConnection's destructor detaches its socket callbacks and closes it, so nothing
  // calls back into this object after it is gone.
  ++deliveryDepth_;  // keep retireSubscription from freeing while clients_ is torn down
  clients_.clear();
  internalHandlers_.clear();
  internalSubs_.clear();
  --deliveryDepth_;
  retired_.clear();
}

std::string Server::start() {
  if (accepting()) return {};
  listener_ = std::make_unique<net::TcpListener>(loop_);
  // A negative port asks for a random free one, like 0.
  const auto requested = static_cast<uint16_t>(options_.port < 0 ? 0 : options_.port);
  const int rc = listener_->listen(options_.host, requested,
                                   [this](net::TcpConnection::Ptr c) { onAccept(std::move(c)); });
  if (rc != 0) {
    listener_.reset();
    return fmt::format("listen {}: {}",
                       net::joinHostPort(options_.host, static_cast<uint16_t>(options_.port)),
                       uv_strerror(rc));
  }
  boundPort_ = listener_->port();
  if (options_.ping_interval.count() > 0) {
    pingTimer_.startRepeating(options_.ping_interval, [this] { sendPings(); });
  }
  if (options_.write_deadline.count() > 0) {
    // Checked four times per deadline: a stuck client is cut within 1.25 × write_deadline.
    const auto tick = std::max(std::chrono::milliseconds(10), options_.write_deadline / 4);
    writeDeadlineTimer_.startRepeating(tick, [this] {
      for (auto& [cid, client] : clients_)
        client->writeDeadlineTick(loop_.now(), options_.write_deadline);
    });
  }
  spdlog::info("Listening for client connections on {}",
               net::joinHostPort(options_.host, static_cast<uint16_t>(boundPort_)));
  return {};
}

void Server::stop(CloseReason reason) {
  pingTimer_.cancel();
  writeDeadlineTimer_.cancel();
  if (listener_) {
    listener_->close();
    listener_.reset();
  }
  for (auto& [cid, client] : clients_) client->closeWith(reason);
}

bool Server::accepting() const { return listener_ != nullptr && listener_->listening(); }

int Server::port() const { return boundPort_; }

std::string Server::infoJsonFor(const ClientConnection& client) const {
  nats::ServerInfo info;
  info.server_id = serverId_;
  info.server_name = serverName_;
  info.version = kProtocolVersion;
  info.proto = 1;
  info.go = "ftbroker " FTGATE_VERSION;
  info.host = options_.host;
  info.port = boundPort_;
  info.headers = true;
  info.max_payload = options_.max_payload;
  info.auth_required = options_.auth.required();
  info.client_id = client.cid();
  info.client_ip = client.peer().ip;
  return nats::serializeServerInfo(info);
}

void Server::onAccept(net::TcpConnection::Ptr connection) {
  const uint64_t cid = nextCid_++;
  stats_.total_connections++;
  auto client = std::make_unique<ClientConnection>(*this, cid, connection);
  ClientConnection& ref = *client;
  clients_.emplace(cid, std::move(client));
  ++openClients_;
  connection->setOnClose([this, cid](int status) { onConnectionClosed(cid, status); });
  if (options_.max_connections > 0 &&
      openClients_ > static_cast<size_t>(options_.max_connections)) {
    // nats-server sends INFO first, then the error, then closes.
    ref.begin(infoJsonFor(ref));
    ref.closeWith(CloseReason::MaxConnections, "maximum connections exceeded");
    return;
  }
  spdlog::debug("[{}] {} - client connection created", cid, ref.peer().toString());
  ref.begin(infoJsonFor(ref));
}

void Server::onConnectionClosed(uint64_t cid, int status) {
  auto it = clients_.find(cid);
  if (it == clients_.end()) return;
  it->second->onSocketClosed(status);
  std::unique_ptr<ClientConnection> gone = std::move(it->second);
  clients_.erase(it);
  // Destroyed here, outside any delivery loop: socket close callbacks never run inside one.
}

void Server::onClientClosing(ClientConnection& client, CloseReason reason) {
  if (client.isInternal()) return;
  releaseStallWaiters(client.cid());  // publishers waiting on it go on
  --openClients_;
  stats_.closes[static_cast<size_t>(reason)]++;
  switch (reason) {
    case CloseReason::SlowConsumer:
      stats_.slow_consumers++;
      break;
    case CloseReason::ProtocolError:
    case CloseReason::MaxPayload:
    case CloseReason::MaxControlLine:
      stats_.protocol_errors++;
      break;
    default:
      break;
  }
  spdlog::info("[{}] {} - closed: {}", client.cid(), client.peer().toString(),
               closeReasonText(reason));
}

void Server::sendPings() {
  for (auto& [cid, client] : clients_) client->keepAliveTick(options_.ping_max);
}

void Server::addSubscription(Subscription* sub) { index_.insert(sub); }

void Server::retireSubscription(std::unique_ptr<Subscription> sub) {
  if (!sub) return;
  (void)index_.remove(sub.get());
  sub->client = nullptr;            // deliveries still holding a match result skip it
  if (deliveryDepth_ == 0) return;  // nothing can reach it: freed now
  retired_.push_back(std::move(sub));
}

bool Server::deliverTo(ClientConnection* publisher, Subscription* sub, std::string_view subject,
                       std::string_view reply, size_t header_bytes, std::string_view data,
                       const net::TcpConnection::BufferOwner& dataOwner) {
  ClientConnection* client = sub->client;
  if (client == nullptr || client->closing()) return false;
  if (client == publisher && !publisher->echo()) return false;
  ++sub->delivered;
  stats_.out_msgs++;
  stats_.out_bytes += data.size();
  if (client->isInternal()) {
    auto handler = internalHandlers_.find(sub);
    if (handler != internalHandlers_.end()) {
      InboundMessage message{subject, reply, data.substr(0, header_bytes),
                             data.substr(header_bytes)};
      handler->second(message);
    }
  } else {
    client->deliver(*sub, subject, reply, header_bytes, data, dataOwner);
    stallIfBehind(publisher, *client);
  }
  if (sub->max_msgs != 0 && sub->delivered >= sub->max_msgs && sub->client != nullptr) {
    if (client->isInternal()) {
      // Internal subscriptions have no auto-unsubscribe; max_msgs is never set on them.
    } else {
      client->removeSubscription(sub->sid);
    }
  }
  return true;
}

bool Server::route(ClientConnection* publisher, std::string_view subject, std::string_view reply,
                   size_t header_bytes, std::string_view data,
                   const net::TcpConnection::BufferOwner& dataOwner, MatchResultPtr matched) {
  const MatchResultPtr result = matched ? std::move(matched) : index_.match(subject);
  if (result->empty()) return false;
  beginDelivery();
  bool delivered = false;
  for (Subscription* sub : result->plain) {
    delivered |= deliverTo(publisher, sub, subject, reply, header_bytes, data, dataOwner);
  }
  for (const QueueGroupMatch& group : result->queues) {
    const size_t members = group.members.size();
    const size_t first = static_cast<size_t>(queueCursor_++ % members);
    for (size_t i = 0; i < members; ++i) {
      if (deliverTo(publisher, group.members[(first + i) % members], subject, reply, header_bytes,
                    data, dataOwner)) {
        delivered = true;
        break;
      }
    }
  }
  endDelivery();
  return delivered;
}

void Server::stallIfBehind(ClientConnection* publisher, ClientConnection& subscriber) {
  // The subscriber's own publications never wait on it: it could not read while paused.
  if (publisher == nullptr || publisher == &subscriber || publisher->isInternal()) return;
  if (subscriber.closing() || !subscriber.aboveStallMark()) return;
  if (publisher->waitForDrainOf(subscriber.cid())) {
    stallWaiters_[subscriber.cid()].push_back(publisher->cid());
  }
}

void Server::releaseStallWaiters(uint64_t subscriberCid) {
  auto it = stallWaiters_.find(subscriberCid);
  if (it == stallWaiters_.end()) return;
  const std::vector<uint64_t> waiters = std::move(it->second);
  stallWaiters_.erase(it);
  for (const uint64_t publisherCid : waiters) {
    auto publisher = clients_.find(publisherCid);
    if (publisher != clients_.end()) publisher->second->stopWaitingFor(subscriberCid);
  }
}

void Server::onSubscriberDrained(const ClientConnection& subscriber) {
  releaseStallWaiters(subscriber.cid());
}

void Server::forgetStallWaiter(uint64_t publisherCid, const std::vector<uint64_t>& subscriberCids) {
  for (const uint64_t subscriberCid : subscriberCids) {
    auto it = stallWaiters_.find(subscriberCid);
    if (it == stallWaiters_.end()) continue;
    std::erase(it->second, publisherCid);
    if (it->second.empty()) stallWaiters_.erase(it);
  }
}

void Server::deliverNoResponders(ClientConnection& requester, std::string_view reply) {
  if (!nats::isValidPublishSubject(reply)) return;
  const MatchResultPtr result = index_.match(reply);
  Subscription* target = nullptr;
  for (Subscription* sub : result->plain) {
    if (sub->client == &requester) target = sub;
  }
  for (const QueueGroupMatch& group : result->queues) {
    for (Subscription* sub : group.members) {
      if (sub->client == &requester && target == nullptr) target = sub;
    }
  }
  if (target == nullptr) return;
  stats_.no_responders++;
  beginDelivery();
  // Delivered as if published with no reply, straight to the requester (echo does not apply:
  // the server, not the requester, is the publisher).
  (void)deliverTo(nullptr, target, reply, {}, kNoRespondersHeader.size(), kNoRespondersHeader, {});
  endDelivery();
}

void Server::endDelivery() {
  if (--deliveryDepth_ > 0) return;
  retired_.clear();
  retiredHandlers_.clear();
}

uint64_t Server::subscribeInternal(std::string subject, std::string queue,
                                   InternalHandler handler) {
  if (!nats::isValidSubscribeSubject(subject) ||
      (!queue.empty() && !nats::isValidQueueName(queue)) || !handler) {
    return 0;
  }
  const uint64_t id = nextInternalId_++;
  auto sub = std::make_unique<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  sub->sid = std::to_string(id);
  sub->client = internalClient_.get();
  index_.insert(sub.get());
  internalHandlers_.emplace(sub.get(), std::move(handler));
  internalSubs_.emplace(id, std::move(sub));
  return id;
}

void Server::unsubscribeInternal(uint64_t id) {
  auto it = internalSubs_.find(id);
  if (it == internalSubs_.end()) return;
  std::unique_ptr<Subscription> sub = std::move(it->second);
  internalSubs_.erase(it);
  // The handler may be running right now (unsubscribing from inside it): keep it until the
  // delivery loops unwind by moving it into a retired no-op slot.
  auto handler = internalHandlers_.find(sub.get());
  if (handler != internalHandlers_.end()) {
    if (deliveryDepth_ > 0) {
      retiredHandlers_.push_back(std::move(handler->second));
    }
    internalHandlers_.erase(handler);
  }
  retireSubscription(std::move(sub));
}

bool Server::publish(std::string_view subject, std::string_view reply, std::string_view headers,
                     std::string_view payload) {
  if (!nats::isValidPublishSubject(subject)) return false;
  if (headers.empty()) {
    (void)route(nullptr, subject, reply, 0, payload);
    return true;
  }
  publishScratch_.clear();
  publishScratch_.append(headers);
  publishScratch_.append(payload);
  // route() may re-enter publish() through an internal handler: hand it a private copy.
  const std::string data = publishScratch_;
  (void)route(nullptr, subject, reply, headers.size(), data);
  return true;
}

ServerStats Server::stats() const {
  ServerStats s = stats_;
  s.connections = openClients_;
  s.subscriptions = index_.size();
  s.now = std::chrono::system_clock::now();
  return s;
}

std::vector<ConnectionSnapshot> Server::connections() const {
  std::vector<ConnectionSnapshot> out;
  out.reserve(clients_.size());
  const SystemTime now = std::chrono::system_clock::now();
  const uint64_t loopNow = loop_.now();
  for (const auto& [cid, client] : clients_) {
    if (!client->closing()) out.push_back(client->snapshot(now, loopNow));
  }
  std::sort(out.begin(), out.end(),
            [](const ConnectionSnapshot& a, const ConnectionSnapshot& b) { return a.cid < b.cid; });
  return out;
}

SubscriptionsSnapshot Server::subscriptions() const {
  const SubjectIndexStats index = index_.stats();
  SubscriptionsSnapshot s;
  s.num_subscriptions = index.subscriptions;
  s.num_cache = index.cache_entries;
  s.num_inserts = index.inserts;
  s.num_removes = index.removes;
  s.num_matches = index.matches;
  s.cache_hit_rate =
      index.matches == 0 ? 0.0 : static_cast<double>(index.cache_hits) / index.matches;
  for (const auto& [cid, client] : clients_) {
    if (!client->closing()) client->appendSubscriptionDetails(s.subscriptions_list);
  }
  return s;
}

}  // namespace ftgate::broker
