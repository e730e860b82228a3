// The streaming service in-process (MemoryStore, core Server on port 0): what a NATS Streaming
// client sees — connect answers and error texts, PubAcks only once the store says durable,
// start positions, max in flight, redelivery, durables, queue groups, heartbeats.
#include "broker/stan/service.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/broker/stan/stan_test_harness.h"

namespace ftgate::stan {
namespace {

using namespace std::chrono_literals;
using testing::StanHarness;

// A MemoryStore whose flush callbacks wait until release(): shows what happens before and
// after the store reports durability.
class DeferredFlushStore final : public store::Store {
 public:
  explicit DeferredFlushStore(store::StoreOptions options) : inner_(std::move(options)) {}
  const char* kind() const override { return inner_.kind(); }
  store::StoreStatus recover(store::RecoveredState* out) override { return inner_.recover(out); }
  store::StoreStatus init(const ServerInfo& info) override { return inner_.init(info); }
  store::StoreStatus addClient(const ClientInfo& info) override { return inner_.addClient(info); }
  store::StoreStatus deleteClient(const std::string& id) override {
    return inner_.deleteClient(id);
  }
  const std::map<std::string, ClientInfo>& clients() const override { return inner_.clients(); }
  store::StoreStatus createChannel(const std::string& name, store::Channel** out) override {
    return inner_.createChannel(name, out);
  }
  store::Channel* lookupChannel(const std::string& name) override {
    return inner_.lookupChannel(name);
  }
  store::StoreStatus deleteChannel(const std::string& name) override {
    return inner_.deleteChannel(name);
  }
  const std::map<std::string, std::unique_ptr<store::Channel>>& channels() const override {
    return inner_.channels();
  }
  void flush(store::FlushCallback done) override {
    if (holding) {
      held.push_back(std::move(done));
    } else {
      done(store::StoreStatus::Ok);
    }
  }
  store::StoreStats stats() const override { return inner_.stats(); }
  void close() override {}

  void release(store::StoreStatus status) {
    holding = false;
    auto callbacks = std::move(held);
    held.clear();
    for (auto& cb : callbacks) cb(status);
  }

  bool holding = false;
  std::vector<store::FlushCallback> held;

 private:
  store::MemoryStore inner_;
};

TEST(StanClientId, OnlyAlphanumericDashAndUnderscore) {
  EXPECT_TRUE(isValidClientId("me-1_A"));
  EXPECT_FALSE(isValidClientId(""));
  EXPECT_FALSE(isValidClientId("a.b"));
  EXPECT_FALSE(isValidClientId("a b"));
  EXPECT_FALSE(isValidClientId("a*"));
}

TEST(StanConnect, AnswersWithTheProtocolSubjects) {
  StanHarness h;
  ConnectResponse r = h.connect("me");
  EXPECT_EQ(r.error(), "");
  EXPECT_EQ(r.pub_prefix(), "_STAN.pub.test-cluster");
  EXPECT_EQ(r.sub_requests(), "_STAN.sub.test-cluster");
  EXPECT_EQ(r.close_requests(), "_STAN.close.test-cluster");
  EXPECT_EQ(r.ping_requests(), "_STAN.discover.test-cluster.pings");
  EXPECT_EQ(h.service().clients().count("me"), 1u);
}

TEST(StanConnect, RefusesBadRequestsWithTheReferenceTexts) {
  StanHarness h;
  EXPECT_EQ(h.connect("bad id").error(), errors::kInvalidClient);
  EXPECT_EQ(h.connect("").error(), errors::kMissingClient);
  ConnectRequest noInbox;
  noInbox.set_client_id("x");
  EXPECT_EQ(h.request<ConnectResponse>(h.info().discovery(), noInbox).error(),
            errors::kInvalidConnRequest);
  EXPECT_TRUE(h.service().clients().empty());
}

TEST(StanConnect, DuplicateIdRefusedWhileTheFirstAnswersReplacedWhenItDoesNot) {
  ServiceOptions options;
  options.duplicate_check_timeout = 50ms;
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  EXPECT_EQ(h.connect("me", "conn-2").error(), errors::kDuplicateClient);
  h.setAlive("me", false);  // the first client went away without closing
  ConnectRequest req;
  req.set_client_id("me");
  req.set_heartbeat_inbox("_T.hb.me2");
  req.set_conn_id("conn-3");
  EXPECT_EQ(h.request<ConnectResponse>(h.info().discovery(), req).error(), "");
  EXPECT_EQ(h.service().clients().at("me").info.hb_inbox(), "_T.hb.me2");
}

TEST(StanConnect, CloseForgetsTheClient) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  CloseRequest close;
  close.set_client_id("me");
  EXPECT_EQ(h.request<CloseResponse>(h.info().close(), close).error(), "");
  EXPECT_TRUE(h.service().clients().empty());
  EXPECT_EQ(h.request<CloseResponse>(h.info().close(), close).error(), errors::kUnknownClient);
  EXPECT_EQ(h.publish("me", "foo", "x").error(), errors::kInvalidPublish);
}

TEST(StanConnect, PingFromAnUnknownConnectionSaysReplaced) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  Ping ping;
  ping.set_conn_id("conn-me");
  EXPECT_EQ(h.request<PingResponse>(h.info().discovery() + ".pings", ping).error(), "");
  ping.set_conn_id("someone-else");
  EXPECT_EQ(h.request<PingResponse>(h.info().discovery() + ".pings", ping).error(),
            errors::kClientReplaced);
}

TEST(StanHeartbeats, AClientThatStopsAnsweringIsRemoved) {
  ServiceOptions options;
  options.hb_interval = 10ms;
  options.hb_timeout = 10ms;
  options.hb_fail_count = 2;
  StanHarness h(options);
  ASSERT_EQ(h.connect("quiet").error(), "");
  ASSERT_EQ(h.connect("chatty").error(), "");
  h.setAlive("quiet", false);
  ASSERT_TRUE(h.waitFor([&] { return h.service().clients().count("quiet") == 0; }));
  // The one that answers got heartbeats all along and is still registered.
  EXPECT_GE(h.received("_T.hb.chatty").size(), 2u);
  EXPECT_EQ(h.service().clients().count("chatty"), 1u);
}

// Publishes PubMsg{client "me", guid "g1", channel foo, `data`} with the PubAck to _T.ack,
// without waiting for it (the tests here look at what happens before the flush completes).
void publishFooWithoutWaiting(StanHarness& h, const std::string& data) {
  PubMsg pub;
  pub.set_client_id("me");
  pub.set_guid("g1");
  pub.set_subject("foo");
  pub.set_data(data);
  std::string bytes;
  ASSERT_TRUE(pub.AppendToString(&bytes));
  h.publishRaw(h.info().publish() + ".foo", "_T.ack", bytes);
}

TEST(StanPublish, PubAckOnlyOnceTheStoreSaysDurableThenDelivered) {
  auto owned = std::make_unique<DeferredFlushStore>(store::StoreOptions{});
  DeferredFlushStore* store = owned.get();
  StanHarness h({}, {}, std::move(owned));
  ASSERT_EQ(h.connect("me").error(), "");
  ASSERT_EQ(h.subscribe(h.subRequest("me", "foo", "_T.in")).error(), "");
  store->holding = true;
  publishFooWithoutWaiting(h, "hello");
  h.loop().runOnce(false);
  EXPECT_TRUE(h.received("_T.ack").empty()) << "PubAck before the flush completed";
  EXPECT_TRUE(h.received("_T.in").empty()) << "delivered before durable";
  store->release(store::StoreStatus::Ok);
  ASSERT_EQ(h.received("_T.ack").size(), 1u);
  PubAck ack;
  ASSERT_TRUE(ack.ParseFromString(h.received("_T.ack").front().payload));
  EXPECT_EQ(ack.guid(), "g1");
  EXPECT_EQ(ack.error(), "");
  auto msgs = h.messages("_T.in");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].sequence(), 1u);
  EXPECT_EQ(msgs[0].data(), "hello");
  EXPECT_GT(msgs[0].timestamp(), 0);
}

// A subscription created while an earlier publish waits for durability: that publish
// completing first must not deliver to the new subscription before the client got the
// SubscriptionResponse (its ack inbox) — a client could not acknowledge such a message.
TEST(StanSubscribe, NothingIsDeliveredBeforeTheSubscriptionResponse) {
  auto owned = std::make_unique<DeferredFlushStore>(store::StoreOptions{});
  DeferredFlushStore* store = owned.get();
  StanHarness h({}, {}, std::move(owned));
  ASSERT_EQ(h.connect("me").error(), "");
  store->holding = true;
  publishFooWithoutWaiting(h, "hello");
  std::string request;
  ASSERT_TRUE(h.subRequest("me", "foo", "_T.in").AppendToString(&request));
  h.publishRaw(h.info().subscribe(), "_T.subreply", request);
  h.loop().runOnce(false);
  ASSERT_EQ(store->held.size(), 2u);  // the publish's flush, then the subscription's

  store->release(store::StoreStatus::Ok);
  ASSERT_TRUE(h.waitFor([&] { return !h.received("_T.in").empty(); }));
  ASSERT_EQ(h.received("_T.subreply").size(), 1u);
  EXPECT_LT(h.received("_T.subreply").front().arrival, h.received("_T.in").front().arrival)
      << "a message reached the subscription before its SubscriptionResponse";
}

TEST(StanPublish, AFailedFlushIsReportedAsAStoreFailure) {
  auto owned = std::make_unique<DeferredFlushStore>(store::StoreOptions{});
  DeferredFlushStore* store = owned.get();
  StanHarness h({}, {}, std::move(owned));
  ASSERT_EQ(h.connect("me").error(), "");
  store->holding = true;
  publishFooWithoutWaiting(h, "");
  store->release(store::StoreStatus::IoError);
  ASSERT_EQ(h.received("_T.ack").size(), 1u);
  PubAck ack;
  ASSERT_TRUE(ack.ParseFromString(h.received("_T.ack").front().payload));
  EXPECT_EQ(ack.error(), errors::kStoreFailed);
}

TEST(StanPublish, RefusedFromUnknownClientsOrWithAMismatchedSubject) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  EXPECT_EQ(h.publish("nobody", "foo", "x").error(), errors::kInvalidPublish);
  PubMsg pub;
  pub.set_client_id("me");
  pub.set_guid("g");
  pub.set_subject("bar");
  EXPECT_EQ(h.request<PubAck>(h.info().publish() + ".foo", pub).error(), errors::kInvalidPublish);
  EXPECT_TRUE(h.service().channels().empty());
}

TEST(StanPublish, TooManyChannels) {
  ServiceOptions options;
  options.limits.max_channels = 1;
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  EXPECT_EQ(h.publish("me", "a", "x").error(), "");
  EXPECT_EQ(h.publish("me", "b", "x").error(), errors::kTooManyChannels);
}

TEST(StanSubscribe, RefusesBadRequestsWithTheReferenceTexts) {
  ServiceOptions options;
  options.limits.channel.max_subs = 1;
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  auto req = h.subRequest("me", "foo", "_T.in");
  req.set_ack_wait_in_secs(0);
  EXPECT_EQ(h.subscribe(req).error(), errors::kInvalidAckWait);
  req = h.subRequest("me", "foo", "_T.in");
  req.set_max_in_flight(0);
  EXPECT_EQ(h.subscribe(req).error(), errors::kInvalidMaxInflight);
  EXPECT_EQ(h.subscribe(h.subRequest("me", "foo.*", "_T.in")).error(), errors::kInvalidSubject);
  EXPECT_EQ(h.subscribe(h.subRequest("ghost", "foo", "_T.in")).error(), errors::kUnknownClient);
  req = h.subRequest("me", "foo", "_T.in");
  req.set_start_position(static_cast<StartPosition>(42));
  EXPECT_EQ(h.subscribe(req).error(), errors::kInvalidStart);
  EXPECT_EQ(h.subscribe(h.subRequest("me", "foo", "_T.in")).error(), "");
  EXPECT_EQ(h.subscribe(h.subRequest("me", "foo", "_T.in2")).error(), errors::kTooManySubs);
  UnsubscribeRequest unsub;
  unsub.set_client_id("me");
  unsub.set_inbox("not-an-ack-inbox");
  EXPECT_EQ(h.request<SubscriptionResponse>(h.info().unsubscribe(), unsub).error(),
            errors::kInvalidUnsubRequest);
}

TEST(StanSubscribe, DuplicateDurableRefused) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  auto req = h.subRequest("me", "foo", "_T.in");
  req.set_durable_name("d");
  EXPECT_EQ(h.subscribe(req).error(), "");
  EXPECT_EQ(h.subscribe(req).error(), errors::kDuplicateDurable);
}

std::vector<uint64_t> sequences(const std::vector<MsgProto>& msgs) {
  std::vector<uint64_t> out;
  for (const MsgProto& m : msgs) out.push_back(m.sequence());
  return out;
}

TEST(StanSubscribe, EachStartPositionStartsWhereTheClientAsked) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  const int64_t now = h.clockNs();
  h.clockNs() = now - 60'000'000'000;  // messages 1-2 a minute old
  for (int i = 1; i <= 2; ++i) ASSERT_EQ(h.publish("me", "foo", "m").error(), "");
  h.clockNs() = now;
  for (int i = 3; i <= 5; ++i) ASSERT_EQ(h.publish("me", "foo", "m").error(), "");

  auto sub = [&](const std::string& inbox, StartPosition pos, uint64_t seq = 0, int64_t delta = 0) {
    auto req = h.subRequest("me", "foo", inbox);
    req.set_start_position(pos);
    req.set_start_sequence(seq);
    req.set_start_time_delta(delta);
    ASSERT_EQ(h.subscribe(req).error(), "");
  };
  sub("_T.new", NewOnly);
  sub("_T.last", LastReceived);
  sub("_T.seq", SequenceStart, 4);
  sub("_T.first", First);
  sub("_T.delta", TimeDeltaStart, 0, 30'000'000'000);
  ASSERT_EQ(h.publish("me", "foo", "m").error(), "");  // sequence 6
  EXPECT_EQ(sequences(h.messages("_T.new")), (std::vector<uint64_t>{6}));
  EXPECT_EQ(sequences(h.messages("_T.last")), (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(sequences(h.messages("_T.seq")), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(sequences(h.messages("_T.first")), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(sequences(h.messages("_T.delta")), (std::vector<uint64_t>{3, 4, 5, 6}));
}

TEST(StanDelivery, MaxInFlightHoldsMessagesUntilAcked) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  auto req = h.subRequest("me", "foo", "_T.in");
  req.set_max_in_flight(2);
  const std::string ackInbox = h.subscribe(req).ack_inbox();
  ASSERT_FALSE(ackInbox.empty());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(h.publish("me", "foo", "m").error(), "");
  EXPECT_EQ(sequences(h.messages("_T.in")), (std::vector<uint64_t>{1, 2}));
  h.ack(ackInbox, "foo", 1);
  EXPECT_EQ(sequences(h.messages("_T.in")), (std::vector<uint64_t>{1, 2, 3}));
  h.ack(ackInbox, "foo", 2);
  h.ack(ackInbox, "foo", 3);
  EXPECT_EQ(sequences(h.messages("_T.in")), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST(StanDelivery, UnackedMessagesComeAgainMarkedRedelivered) {
  ServiceOptions options;
  options.redelivery_tick = 10ms;
  StanHarness h(options);
  ASSERT_EQ(h.connect("me").error(), "");
  auto req = h.subRequest("me", "foo", "_T.in");
  req.set_ack_wait_in_secs(1);  // the protocol's minimum
  const std::string ackInbox = h.subscribe(req).ack_inbox();
  ASSERT_EQ(h.publish("me", "foo", "a").error(), "");
  ASSERT_EQ(h.publish("me", "foo", "b").error(), "");
  h.ack(ackInbox, "foo", 2);
  ASSERT_TRUE(h.waitFor([&] { return h.received("_T.in").size() >= 3; }, 5s));
  auto msgs = h.messages("_T.in");
  EXPECT_FALSE(msgs[0].redelivered());
  EXPECT_EQ(msgs[2].sequence(), 1u);
  EXPECT_TRUE(msgs[2].redelivered());
  EXPECT_EQ(msgs[2].redelivery_count(), 1u);
  h.ack(ackInbox, "foo", 1);
  const auto& sub = h.service().channels().at("foo")->subs.begin()->second;
  EXPECT_TRUE(sub->pending.empty());
}

TEST(StanDurable, CloseKeepsThePositionUnsubscribeForgetsIt) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  auto req = h.subRequest("me", "foo", "_T.d1");
  req.set_durable_name("dur");
  SubscriptionResponse r = h.subscribe(req);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(h.publish("me", "foo", "m").error(), "");
  h.ack(r.ack_inbox(), "foo", 1);
  h.ack(r.ack_inbox(), "foo", 2);
  UnsubscribeRequest close;
  close.set_client_id("me");
  close.set_subject("foo");
  close.set_inbox(r.ack_inbox());
  close.set_durable_name("dur");
  ASSERT_EQ(h.request<SubscriptionResponse>(h.info().sub_close(), close).error(), "");
  for (int i = 0; i < 2; ++i) ASSERT_EQ(h.publish("me", "foo", "m").error(), "");

  req.set_inbox("_T.d2");
  r = h.subscribe(req);
  ASSERT_EQ(r.error(), "");
  EXPECT_EQ(sequences(h.messages("_T.d2")), (std::vector<uint64_t>{3, 4}));

  UnsubscribeRequest unsub = close;
  unsub.set_inbox(r.ack_inbox());
  ASSERT_EQ(h.request<SubscriptionResponse>(h.info().unsubscribe(), unsub).error(), "");
  req.set_inbox("_T.d3");
  ASSERT_EQ(h.subscribe(req).error(), "");
  EXPECT_EQ(sequences(h.messages("_T.d3")), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST(StanQueue, MembersShareTheMessagesEachOnce) {
  StanHarness h;
  ASSERT_EQ(h.connect("me").error(), "");
  auto a = h.subRequest("me", "foo", "_T.qa");
  a.set_q_group("workers");
  auto b = a;
  b.set_inbox("_T.qb");
  ASSERT_EQ(h.subscribe(a).error(), "");
  ASSERT_EQ(h.subscribe(b).error(), "");
  for (int i = 0; i < 10; ++i) ASSERT_EQ(h.publish("me", "foo", "m").error(), "");
  auto qa = sequences(h.messages("_T.qa"));
  auto qb = sequences(h.messages("_T.qb"));
  EXPECT_FALSE(qa.empty());
  EXPECT_FALSE(qb.empty());
  std::set<uint64_t> all(qa.begin(), qa.end());
  all.insert(qb.begin(), qb.end());
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(qa.size() + qb.size(), 10u);
}

}  // namespace
}  // namespace ftgate::stan
