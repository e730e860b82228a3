// Round trips through both stores (same behaviour expected from each), and recovery of
// everything the file store keeps after a reopen.
#include <gtest/gtest.h>

#include "tests/unit/broker/store/store_test_support.h"

namespace ftgate::store {
namespace {
using namespace testing;

enum class Kind { Memory, File };

class StoreRoundTrip : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::Memory) {
      store_ = std::make_unique<MemoryStore>(StoreOptions{});
    } else {
      store_ = std::make_unique<FileStore>(loop_, dir_.path(), StoreOptions{});
    }
    RecoveredState state;
    ASSERT_EQ(store_->recover(&state), StoreStatus::Ok);
    EXPECT_FALSE(state.server_info.has_value());
    EXPECT_TRUE(state.clients.empty());
    EXPECT_TRUE(state.channels.empty());
  }
  void TearDown() override {
    store_.reset();
    EXPECT_EQ(loop_.close(), 0);
  }
  TempDir dir_;
  net::EventLoop loop_;
  StorePtr store_;
};

TEST_P(StoreRoundTrip, ClientsAddAndDelete) {
  stan::ClientInfo a;
  a.set_id("alice");
  a.set_hb_inbox("_INBOX.a");
  a.set_conn_id("conn-a");
  ASSERT_EQ(store_->addClient(a), StoreStatus::Ok);
  EXPECT_EQ(store_->addClient(a), StoreStatus::AlreadyExists);
  ASSERT_EQ(store_->clients().size(), 1u);
  EXPECT_EQ(store_->clients().at("alice").conn_id(), "conn-a");
  ASSERT_EQ(store_->deleteClient("alice"), StoreStatus::Ok);
  EXPECT_EQ(store_->deleteClient("alice"), StoreStatus::NotFound);
  EXPECT_TRUE(store_->clients().empty());
  EXPECT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
}

TEST_P(StoreRoundTrip, MessagesStoreLookupAndTimestamps) {
  Channel* ch = nullptr;
  ASSERT_EQ(store_->createChannel("foo", &ch), StoreStatus::Ok);
  Channel* again = nullptr;
  EXPECT_EQ(store_->createChannel("foo", &again), StoreStatus::AlreadyExists);
  EXPECT_EQ(again, ch);
  EXPECT_EQ(store_->lookupChannel("foo"), ch);
  EXPECT_EQ(store_->lookupChannel("bar"), nullptr);
  EXPECT_EQ(ch->msgs->firstSequence(), 0u);
  EXPECT_EQ(ch->msgs->lastSequence(), 0u);
  for (int i = 1; i <= 10; ++i) {
    uint64_t seq = 0;
    ASSERT_EQ(ch->msgs->store(makeMsg("foo", "m" + std::to_string(i), i * 1000), &seq),
              StoreStatus::Ok);
    EXPECT_EQ(seq, static_cast<uint64_t>(i));
  }
  EXPECT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
  EXPECT_EQ(ch->msgs->count(), 10u);
  EXPECT_EQ(ch->msgs->firstSequence(), 1u);
  EXPECT_EQ(ch->msgs->lastSequence(), 10u);
  EXPECT_EQ(ch->msgs->firstTimestamp(), 1000);
  EXPECT_EQ(ch->msgs->lastTimestamp(), 10000);
  MsgPtr m = ch->msgs->lookup(4);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data(), "m4");
  EXPECT_EQ(m->sequence(), 4u);
  EXPECT_EQ(m->subject(), "foo");
  EXPECT_FALSE(ch->msgs->lookup(0));
  EXPECT_FALSE(ch->msgs->lookup(11));
  EXPECT_EQ(ch->msgs->sequenceFromTimestamp(0), 1u);
  EXPECT_EQ(ch->msgs->sequenceFromTimestamp(3500), 4u);
  EXPECT_EQ(ch->msgs->sequenceFromTimestamp(4000), 4u);
  EXPECT_EQ(ch->msgs->sequenceFromTimestamp(99999), 11u);
  EXPECT_GT(ch->msgs->bytes(), 0u);
}

TEST_P(StoreRoundTrip, ZeroTimestampTakesTheStoreClock) {
  Channel* ch = nullptr;
  ASSERT_EQ(store_->createChannel("foo", &ch), StoreStatus::Ok);
  uint64_t seq = 0;
  const int64_t before = systemNowNs();
  ASSERT_EQ(ch->msgs->store(makeMsg("foo", "x"), &seq), StoreStatus::Ok);
  EXPECT_GE(ch->msgs->lookup(seq)->timestamp(), before);
}

TEST_P(StoreRoundTrip, SubscriptionsAndPending) {
  Channel* ch = nullptr;
  ASSERT_EQ(store_->createChannel("foo", &ch), StoreStatus::Ok);
  stan::SubState s;
  s.set_client_id("alice");
  s.set_inbox("_INBOX.s1");
  s.set_durable_name("dur");
  s.set_is_durable(true);
  ASSERT_EQ(ch->subs->createSub(s), StoreStatus::Ok);
  EXPECT_EQ(s.id(), 1u);
  stan::SubState t;
  t.set_client_id("bob");
  ASSERT_EQ(ch->subs->createSub(t), StoreStatus::Ok);
  EXPECT_EQ(t.id(), 2u);
  ASSERT_EQ(ch->subs->addSeqPending(1, 1), StoreStatus::Ok);
  ASSERT_EQ(ch->subs->addSeqPending(1, 2), StoreStatus::Ok);
  ASSERT_EQ(ch->subs->ackSeqPending(1, 1), StoreStatus::Ok);
  EXPECT_EQ(ch->subs->addSeqPending(9, 1), StoreStatus::NotFound);
  s = ch->subs->subscriptions().at(1).state;  // updateSub replaces the whole state
  EXPECT_EQ(s.last_sent(), 2u);
  s.set_inbox("_INBOX.s1b");
  ASSERT_EQ(ch->subs->updateSub(s), StoreStatus::Ok);
  ASSERT_EQ(ch->subs->deleteSub(2), StoreStatus::Ok);
  EXPECT_EQ(ch->subs->deleteSub(2), StoreStatus::NotFound);
  ASSERT_EQ(ch->subs->count(), 1u);
  const SubscriptionRecord& rec = ch->subs->subscriptions().at(1);
  EXPECT_EQ(rec.state.inbox(), "_INBOX.s1b");
  EXPECT_EQ(rec.state.last_sent(), 2u);
  EXPECT_EQ(rec.pending, (std::set<uint64_t>{2}));
  stan::SubState u;
  ASSERT_EQ(ch->subs->createSub(u), StoreStatus::Ok);
  EXPECT_EQ(u.id(), 3u) << "ids are never reused";
  EXPECT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
}

TEST_P(StoreRoundTrip, DeleteChannel) {
  Channel* ch = nullptr;
  ASSERT_EQ(store_->createChannel("foo", &ch), StoreStatus::Ok);
  uint64_t seq = 0;
  ASSERT_EQ(ch->msgs->store(makeMsg("foo", "x"), &seq), StoreStatus::Ok);
  ASSERT_EQ(store_->deleteChannel("foo"), StoreStatus::Ok);
  EXPECT_EQ(store_->lookupChannel("foo"), nullptr);
  EXPECT_EQ(store_->deleteChannel("foo"), StoreStatus::NotFound);
  EXPECT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
  if (GetParam() == Kind::File) EXPECT_FALSE(fileExists(dir_ / "foo"));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreRoundTrip, ::testing::Values(Kind::Memory, Kind::File),
                         [](const auto& info) {
                           return info.param == Kind::Memory ? "Memory" : "File";
                         });

TEST(FileStoreReopen, RecoversEverything) {
  TempDir dir;
  net::EventLoop loop;
  {
    FileStore store(loop, dir.path(), StoreOptions{});
    RecoveredState state;
    ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
    stan::ServerInfo info;
    info.set_cluster_id("test-cluster");
    info.set_discovery("_STAN.discover.test-cluster");
    info.set_publish("_STAN.pub.abc");
    ASSERT_EQ(store.init(info), StoreStatus::Ok);
    for (const char* id : {"alice", "bob", "carol"}) {
      stan::ClientInfo c;
      c.set_id(id);
      c.set_hb_inbox(std::string("_INBOX.") + id);
      c.set_conn_id(std::string("conn-") + id);
      c.set_protocol(1);
      ASSERT_EQ(store.addClient(c), StoreStatus::Ok);
    }
    ASSERT_EQ(store.deleteClient("bob"), StoreStatus::Ok);
    for (const char* name : {"foo", "bar.baz"}) {
      Channel* ch = nullptr;
      ASSERT_EQ(store.createChannel(name, &ch), StoreStatus::Ok);
      for (int i = 1; i <= 5; ++i) {
        uint64_t seq = 0;
        ASSERT_EQ(ch->msgs->store(makeMsg(name, std::string(name) + std::to_string(i), i), &seq),
                  StoreStatus::Ok);
      }
    }
    Channel* foo = store.lookupChannel("foo");
    stan::SubState s;
    s.set_client_id("alice");
    s.set_durable_name("d1");
    s.set_is_durable(true);
    s.set_max_in_flight(10);
    ASSERT_EQ(foo->subs->createSub(s), StoreStatus::Ok);
    for (uint64_t q = 1; q <= 4; ++q)
      ASSERT_EQ(foo->subs->addSeqPending(s.id(), q), StoreStatus::Ok);
    ASSERT_EQ(foo->subs->ackSeqPending(s.id(), 1), StoreStatus::Ok);
    ASSERT_EQ(foo->subs->ackSeqPending(s.id(), 3), StoreStatus::Ok);
    stan::SubState gone;
    ASSERT_EQ(foo->subs->createSub(gone), StoreStatus::Ok);
    ASSERT_EQ(foo->subs->deleteSub(gone.id()), StoreStatus::Ok);
    ASSERT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
  }
  FileStore store(loop, dir.path(), StoreOptions{});
  RecoveredState state;
  ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
  ASSERT_TRUE(state.server_info.has_value());
  EXPECT_EQ(state.server_info->cluster_id(), "test-cluster");
  EXPECT_EQ(state.server_info->publish(), "_STAN.pub.abc");
  ASSERT_EQ(state.clients.size(), 2u);
  EXPECT_EQ(store.clients().at("alice").conn_id(), "conn-alice");
  EXPECT_EQ(store.clients().at("carol").hb_inbox(), "_INBOX.carol");
  EXPECT_EQ(store.clients().count("bob"), 0u);
  ASSERT_EQ(state.channels.size(), 2u);
  EXPECT_EQ(state.channels[0]->name, "bar.baz");
  Channel* foo = store.lookupChannel("foo");
  ASSERT_TRUE(foo);
  EXPECT_EQ(foo->msgs->count(), 5u);
  EXPECT_EQ(foo->msgs->lastSequence(), 5u);
  EXPECT_EQ(foo->msgs->lookup(3)->data(), "foo3");
  EXPECT_EQ(store.lookupChannel("bar.baz")->msgs->lookup(5)->data(), "bar.baz5");
  ASSERT_EQ(foo->subs->count(), 1u);
  const SubscriptionRecord& rec = foo->subs->subscriptions().begin()->second;
  EXPECT_EQ(rec.state.durable_name(), "d1");
  EXPECT_EQ(rec.state.max_in_flight(), 10);
  EXPECT_EQ(rec.state.last_sent(), 4u);
  EXPECT_EQ(rec.pending, (std::set<uint64_t>{2, 4}));
  // New ids and sequences continue after the recovered ones.
  stan::SubState next;
  ASSERT_EQ(foo->subs->createSub(next), StoreStatus::Ok);
  EXPECT_EQ(next.id(), 3u);
  uint64_t seq = 0;
  ASSERT_EQ(foo->msgs->store(makeMsg("foo", "six"), &seq), StoreStatus::Ok);
  EXPECT_EQ(seq, 6u);
  store.close();
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace ftgate::store
