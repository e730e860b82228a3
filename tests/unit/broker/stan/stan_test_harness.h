// Test support: the streaming service in-process on the test thread. A core broker::Server
// (port 0) on an EventLoop the test drives, a StreamingService over a MemoryStore with an
// injectable clock, and a "client" made of internal subscriptions: requests are published
// with a reply inbox and the answers collected per subject, so tests read exactly what a
// NATS Streaming client would receive.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "broker/options.h"
#include "broker/server.h"
#include "broker/stan/service.h"
#include "broker/store/memory_store.h"
#include "common/net/event_loop.h"

namespace ftgate::stan::testing {

using namespace std::chrono_literals;

struct Received {
  std::string subject;
  std::string reply;
  std::string payload;
  uint64_t arrival = 0;  // order among everything the harness received, on any subject
};

class StanHarness {
 public:
  // `store`: the store to serve (a MemoryStore over `storeOptions` when null).
  explicit StanHarness(ServiceOptions options = {}, store::StoreOptions storeOptions = {},
                       store::StorePtr store = nullptr) {
    broker::BrokerOptions brokerOptions;
    brokerOptions.host = "127.0.0.1";
    brokerOptions.port = 0;
    server_ = std::make_unique<broker::Server>(loop_, brokerOptions);
    EXPECT_EQ(server_->start(), "");
    if (!storeOptions.now_ns) storeOptions.now_ns = [this] { return clockNs_; };
    storeOptions.limits = options.limits;
    service_ = std::make_unique<StreamingService>(loop_, *server_, options);
    if (!store) store = std::make_unique<store::MemoryStore>(storeOptions);
    EXPECT_EQ(service_->start(std::move(store)), "");
    listenId_ = server_->subscribeInternal("_T.>", "", [this](const broker::InboundMessage& m) {
      const std::string subject(m.subject);
      inbox_[subject].push_back(
          Received{subject, std::string(m.reply), std::string(m.payload), ++arrivals_});
      // A live client answers the server's heartbeats (and duplicate-ID checks).
      if (subject.rfind("_T.hb.", 0) == 0 && alive_.count(subject.substr(6)) != 0 &&
          !m.reply.empty()) {
        (void)server_->publish(m.reply, "", "", "");
      }
    });
  }

  ~StanHarness() {
    service_.reset();
    server_->unsubscribeInternal(listenId_);
    server_.reset();
    while (loop_.runOnce(false)) {
    }
  }

  StreamingService& service() { return *service_; }
  broker::Server& server() { return *server_; }
  net::EventLoop& loop() { return loop_; }
  const ServerInfo& info() { return service_->serverInfo(); }
  // The store clock (ns since epoch) messages are stamped with.
  int64_t& clockNs() { return clockNs_; }

  void publishRaw(const std::string& subject, const std::string& reply, const std::string& bytes) {
    (void)server_->publish(subject, reply, "", bytes);
  }

  // Sends `request` to `subject` with reply `_T.r.<n>` and waits (loop turns, bounded) for the
  // answer, parsed as T. Fails the test when none comes.
  template <typename T>
  T request(const std::string& subject, const google::protobuf::MessageLite& request) {
    const std::string reply = "_T.r." + std::to_string(next_++);
    std::string bytes;
    (void)request.AppendToString(&bytes);
    publishRaw(subject, reply, bytes);
    T out;
    if (!waitFor([&] { return !inbox_[reply].empty(); })) {
      ADD_FAILURE() << "no reply on " << subject;
      return out;
    }
    EXPECT_TRUE(out.ParseFromString(inbox_[reply].front().payload));
    return out;
  }

  // Runs the loop until `done` or ~5 s.
  bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    if (done()) return true;
    return loop_.runUntil(done, timeout);
  }

  std::deque<Received>& received(const std::string& subject) { return inbox_[subject]; }

  // Whether client `id` answers heartbeats (clients connected by connect() do by default).
  void setAlive(const std::string& id, bool alive) {
    if (alive) {
      alive_.insert(id);
    } else {
      alive_.erase(id);
    }
  }

  // Connects client `id` with heartbeat inbox _T.hb.<id>; returns the response.
  ConnectResponse connect(const std::string& id, const std::string& connId = "") {
    ConnectRequest req;
    req.set_client_id(id);
    req.set_heartbeat_inbox("_T.hb." + id);
    req.set_conn_id(connId.empty() ? "conn-" + id : connId);
    req.set_protocol(1);
    req.set_ping_interval(5);
    req.set_ping_max_out(3);
    alive_.insert(id);
    return request<ConnectResponse>(info().discovery(), req);
  }

  // Publishes `data` on `channel` as `clientId`; returns the PubAck.
  PubAck publish(const std::string& clientId, const std::string& channel, const std::string& data,
                 const std::string& guid = "") {
    PubMsg pub;
    pub.set_client_id(clientId);
    pub.set_conn_id("conn-" + clientId);
    pub.set_guid(guid.empty() ? "g" + std::to_string(next_) : guid);
    pub.set_subject(channel);
    pub.set_data(data);
    return request<PubAck>(info().publish() + "." + channel, pub);
  }

  SubscriptionRequest subRequest(const std::string& clientId, const std::string& channel,
                                 const std::string& inbox) {
    SubscriptionRequest req;
    req.set_client_id(clientId);
    req.set_subject(channel);
    req.set_inbox(inbox);
    req.set_max_in_flight(1024);
    req.set_ack_wait_in_secs(30);
    req.set_start_position(First);
    return req;
  }

  SubscriptionResponse subscribe(const SubscriptionRequest& req) {
    return request<SubscriptionResponse>(info().subscribe(), req);
  }

  // The messages received on `inbox` so far, parsed.
  std::vector<MsgProto> messages(const std::string& inbox) {
    std::vector<MsgProto> out;
    for (const Received& r : inbox_[inbox]) {
      MsgProto m;
      EXPECT_TRUE(m.ParseFromString(r.payload));
      out.push_back(m);
    }
    return out;
  }

  void ack(const std::string& ackInbox, const std::string& channel, uint64_t seq) {
    Ack a;
    a.set_subject(channel);
    a.set_sequence(seq);
    std::string bytes;
    (void)a.AppendToString(&bytes);
    publishRaw(ackInbox, "", bytes);
  }

 private:
  uint64_t arrivals_ = 0;
  net::EventLoop loop_;
  std::unique_ptr<broker::Server> server_;
  std::unique_ptr<StreamingService> service_;
  uint64_t listenId_ = 0;
  uint64_t next_ = 1;
  int64_t clockNs_ = store::systemNowNs();
  std::map<std::string, std::deque<Received>> inbox_;
  std::set<std::string> alive_;
};

}  // namespace ftgate::stan::testing
