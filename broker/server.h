// The core NATS server of ftbroker: accepts client connections on one port and speaks the NATS
// client protocol (INFO/CONNECT, PUB/HPUB, SUB/UNSUB with queue groups and wildcards,
// MSG/HMSG, PING/PONG keep-alive, verbose/pedantic/echo/headers/no_responders, user/password
// and token auth, max_payload/max_control_line/max_connections/max_pending limits), as one
// nats-server does it.
//
//   TcpListener ──accept──► ClientConnection (one per socket: parser, CONNECT state, subs)
//                                 │ PUB/HPUB
//                                 ▼
//                  Server::route ──► SubjectIndex::match ──► MSG/HMSG into each subscriber's
//                                                          TcpConnection output (coalesced)
//
// The FT role drives start()/stop(): a standby never calls start(); an active that is fenced
// calls stop(CloseReason::FtFenced); a standby that becomes active calls start() again.
// Internal subscribers (the NATS Streaming service) see the same traffic through
// subscribeInternal()/publish() without any socket.
//
// Threading: everything runs on the loop's thread, including every method below.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/close_reason.h"
#include "broker/options.h"
#include "broker/server_stats.h"
#include "broker/subject_index.h"
#include "common/net/event_loop.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_listener.h"
#include "common/net/timer.h"

namespace ftgate::broker {

class ClientConnection;

// A message as an internal subscriber receives it. Views are valid only during the callback.
struct InboundMessage {
  std::string_view subject;
  std::string_view reply;    // empty when none
  std::string_view headers;  // "NATS/1.0\r\n...\r\n\r\n" or empty
  std::string_view payload;  // without the headers
};

class Server {
 public:
  using InternalHandler = std::function<void(const InboundMessage& message)>;

  Server(net::EventLoop& loop, const BrokerOptions& options);
  ~Server();  // closes every client at once (no callbacks into a dead Server)
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listens on options.host:options.port (port 0: an ephemeral port, see port()). Returns ""
  // on success, else an error text ("listen 0.0.0.0:4222: address already in use"). Calling
  // it while accepting is a no-op that returns "".
  [[nodiscard]] std::string start();
  // Stops accepting and closes every client connection with `reason` (FT fencing, shutdown).
  // Idempotent. Internal subscriptions stay. start() may be called again later.
  void stop(CloseReason reason);

  [[nodiscard]] bool accepting() const;
  // The bound port: the ephemeral one after start() with port 0; options.port before start().
  [[nodiscard]] int port() const;
  // nats-server-shaped id (56 upper-case base32 characters starting with 'N'), fixed for the
  // life of the object; server_name is the same unless options say otherwise.
  [[nodiscard]] const std::string& serverId() const { return serverId_; }
  [[nodiscard]] const std::string& serverName() const { return serverName_; }
  [[nodiscard]] const BrokerOptions& options() const { return options_; }

  // Snapshots for /varz, /connz, /subsz and /metrics (nats-server field names).
  [[nodiscard]] ServerStats stats() const;
  [[nodiscard]] std::vector<ConnectionSnapshot> connections() const;  // open clients, by cid
  [[nodiscard]] SubscriptionsSnapshot subscriptions() const;
  [[nodiscard]] size_t numConnections() const { return openClients_; }

  // --- internal clients (in-process subscribers such as the NATS Streaming service) ---
  // Subscribes `handler` to `subject` (wildcards allowed; `queue` empty for a plain
  // subscription). Returns an id > 0 for unsubscribeInternal, or 0 when the subject or queue
  // is invalid. Survives stop()/start().
  [[nodiscard]] uint64_t subscribeInternal(std::string subject, std::string queue,
                                           InternalHandler handler);
  void unsubscribeInternal(uint64_t id);
  // Publishes as the server: reaches client and internal subscribers alike. `headers` empty
  // for a plain MSG. False when `subject` is not a valid publish subject.
  bool publish(std::string_view subject, std::string_view reply, std::string_view headers,
               std::string_view payload);

  // --- used by ClientConnection (same module) ---
  // Delivers one published message to every matching subscription. `publisher` is null for
  // internal publishes. Returns true when at least one subscription got it. `dataOwner`, when
  // set, keeps `headers_and_payload` alive: large payloads then leave by reference (no copy).
  bool route(ClientConnection* publisher, std::string_view subject, std::string_view reply,
             size_t header_bytes, std::string_view headers_and_payload,
             const net::TcpConnection::BufferOwner& dataOwner = {},
             MatchResultPtr matched = nullptr);
  // The index's cached match for a subject published before, or null (see
  // SubjectIndex::cachedMatch): a hit needs no validation and no second lookup in route().
  [[nodiscard]] MatchResultPtr cachedMatch(std::string_view subject) {
    return index_.cachedMatch(subject);
  }
  // Sends the `NATS/1.0 503` status to the requester's own subscriptions on `reply`.
  void deliverNoResponders(ClientConnection& requester, std::string_view reply);
  // Logs the close once and counts it; the client has already left the Connected states.
  void onClientClosing(ClientConnection& client, CloseReason reason);
  void addSubscription(Subscription* sub);
  // Takes the subscription out of the index and frees it once no delivery loop can reach it.
  void retireSubscription(std::unique_ptr<Subscription> sub);
  [[nodiscard]] net::EventLoop& loop() { return loop_; }
  void countIn(size_t bytes) {
    stats_.in_msgs++;
    stats_.in_bytes += bytes;
  }
  void countAuthFailure() { stats_.auth_failures++; }
  // A publisher paused reading for a stall (see ClientConnection): counted once per pause.
  void countStall() { stats_.stalls++; }
  // `subscriber`'s output drained to the low mark: every publisher waiting on it stops waiting
  // on it (and resumes when it waits on nobody else).
  void onSubscriberDrained(const ClientConnection& subscriber);
  // `publisher` no longer waits on these subscribers (its stall timed out, or it is closing):
  // forget it there.
  void forgetStallWaiter(uint64_t publisherCid, const std::vector<uint64_t>& subscriberCids);

 private:
  void onAccept(net::TcpConnection::Ptr connection);
  void onConnectionClosed(uint64_t cid, int status);
  void sendPings();
  // Delivers to one subscription; false when it was skipped (retired, or echo is off).
  bool deliverTo(ClientConnection* publisher, Subscription* sub, std::string_view subject,
                 std::string_view reply, size_t header_bytes, std::string_view data,
                 const net::TcpConnection::BufferOwner& dataOwner);
  [[nodiscard]] std::string infoJsonFor(const ClientConnection& client) const;
  // After delivering to `subscriber`: makes `publisher` wait when the subscriber is at or above
  // its stall mark. Never stalls a publisher on itself (echo), nor internal publishes.
  void stallIfBehind(ClientConnection* publisher, ClientConnection& subscriber);
  // Releases every publisher waiting on `subscriberCid` (it drained or is closing).
  void releaseStallWaiters(uint64_t subscriberCid);
  void beginDelivery() { ++deliveryDepth_; }
  // Frees what was retired during delivery once the outermost delivery loop is done.
  void endDelivery();

  net::EventLoop& loop_;
  BrokerOptions options_;
  std::string serverId_;
  std::string serverName_;
  SystemTime start_;

  std::unique_ptr<net::TcpListener> listener_;
  int boundPort_ = 0;
  net::Timer pingTimer_;
  net::Timer writeDeadlineTimer_;

  SubjectIndex index_;
  std::unordered_map<uint64_t, std::unique_ptr<ClientConnection>> clients_;
  size_t openClients_ = 0;  // clients not yet closing
  uint64_t nextCid_ = 1;

  // In-process subscriptions: owned here, their Subscription::client is internalClient_.
  std::unique_ptr<ClientConnection> internalClient_;
  std::unordered_map<uint64_t, std::unique_ptr<Subscription>> internalSubs_;
  std::unordered_map<const Subscription*, InternalHandler> internalHandlers_;
  uint64_t nextInternalId_ = 1;
  std::vector<InternalHandler> retiredHandlers_;  // unsubscribed during a delivery loop
  std::string publishScratch_;

  // Subscriptions taken out of the index; freed when no delivery loop is running.
  std::vector<std::unique_ptr<Subscription>> retired_;
  int deliveryDepth_ = 0;
  uint64_t queueCursor_ = 0;  // round-robin over queue group members

  // Publisher stall: subscriber cid -> the cids of the publishers waiting for it to drain. By
  // cid so a publisher or subscriber that closes never leaves a dangling pointer here.
  std::unordered_map<uint64_t, std::vector<uint64_t>> stallWaiters_;

  ServerStats stats_;
};

}  // namespace ftgate::broker
