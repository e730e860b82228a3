// Compaction of subs.dat and clients.dat: files that only grew now shrink back to their live
// state once enough of them is obsolete, recover to exactly the same state, survive an
// interrupted compaction, and are left alone below the configured thresholds.
#include <gtest/gtest.h>

#include <cstdio>

#include "broker/store/file_sub_store.h"
#include "tests/unit/broker/store/store_test_support.h"

namespace ftgate::store {
namespace {
using namespace testing;

// A store on its own loop with an injectable clock (compact_interval is measured on it).
struct OpenStore {
  net::EventLoop loop;
  int64_t nowNs = 1'000'000'000'000;
  std::unique_ptr<FileStore> store;

  OpenStore(const std::string& dir, FileStoreOptions file) {
    StoreOptions o;
    o.file = file;
    o.now_ns = [this] { return nowNs; };
    store = std::make_unique<FileStore>(loop, dir, o);
    RecoveredState state;
    EXPECT_EQ(store->recover(&state), StoreStatus::Ok);
  }
  ~OpenStore() {
    store.reset();
    EXPECT_EQ(loop.close(), 0);
  }
  Channel* channel(const std::string& name) {
    Channel* ch = nullptr;
    const StoreStatus st = store->createChannel(name, &ch);
    EXPECT_TRUE(st == StoreStatus::Ok || st == StoreStatus::AlreadyExists);
    return ch;
  }
  void flush() { EXPECT_EQ(flushAndWait(loop, *store), StoreStatus::Ok); }
};

FileStoreOptions compactingAt(int64_t minSize, int frag = 50) {
  FileStoreOptions f;
  f.compact_min_size = minSize;
  f.compact_fragmentation = frag;
  f.compact_interval = std::chrono::nanoseconds(0);
  return f;
}

// Everything recovery rebuilds for a channel's subscriptions, as comparable text.
std::string describeSubs(const SubStore& subs) {
  std::string out;
  for (const auto& [id, sub] : subs.subscriptions()) {
    out += std::to_string(id) + " " + sub.state.ShortDebugString() + " pending:";
    for (uint64_t seq : sub.pending) out += " " + std::to_string(seq);
    out += "\n";
  }
  return out;
}

std::string describeClients(const Store& store) {
  std::string out;
  for (const auto& [id, info] : store.clients()) out += info.ShortDebugString() + "\n";
  return out;
}

uint64_t fileSize(const std::string& path) { return readFile(path).size(); }

// Three live subscriptions (a durable, a durable queue member, a plain one) and a deleted one
// holding the highest id; `rounds` deliveries per live sub, each acked except every 97th.
// Flushes every 500 operations, as a busy broker does with its publishes.
void deliveryWorkload(OpenStore& s, int rounds) {
  Channel* ch = s.channel("orders");
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    stan::SubState sub;
    sub.set_client_id("client-" + std::to_string(i));
    sub.set_inbox("_INBOX." + std::to_string(i));
    sub.set_ack_inbox("_STAN.acks." + std::to_string(i));
    sub.set_max_in_flight(1024);
    sub.set_ack_wait_in_secs(30);
    if (i == 0) sub.set_durable_name("dur-a"), sub.set_is_durable(true);
    if (i == 1) sub.set_q_group("dur-q:workers"), sub.set_is_durable(true);
    ASSERT_EQ(ch->subs->createSub(sub), StoreStatus::Ok);
    ids.push_back(sub.id());
  }
  stan::SubState gone;
  gone.set_client_id("client-gone");
  ASSERT_EQ(ch->subs->createSub(gone), StoreStatus::Ok);
  int ops = 0;
  for (uint64_t seq = 1; seq <= static_cast<uint64_t>(rounds); ++seq) {
    for (uint64_t id : ids) {
      ASSERT_EQ(ch->subs->addSeqPending(id, seq), StoreStatus::Ok);
      if (seq % 97 != 0) ASSERT_EQ(ch->subs->ackSeqPending(id, seq), StoreStatus::Ok);
      if (++ops % 500 == 0) s.flush();
    }
    if (seq == 1) ASSERT_EQ(ch->subs->addSeqPending(gone.id(), seq), StoreStatus::Ok);
    if (seq == static_cast<uint64_t>(rounds) / 2)
      ASSERT_EQ(ch->subs->deleteSub(gone.id()), StoreStatus::Ok);
  }
  // A durable closed and resumed: an update that supersedes the create.
  stan::SubState closed = ch->subs->subscriptions().at(ids[0]).state;
  closed.set_is_closed(true);
  ASSERT_EQ(ch->subs->updateSub(closed), StoreStatus::Ok);
  s.flush();
}

TEST(FileStoreCompaction, SubsDatShrinksAndRecoversTheSameLiveState) {
  TempDir grown, compacted;
  FileStoreOptions off = compactingAt(16 * 1024);
  off.compact_enabled = false;
  std::string expected;
  {
    OpenStore s(grown.path(), off);
    deliveryWorkload(s, 3000);
    expected = describeSubs(*s.channel("orders")->subs);
    EXPECT_EQ(s.store->stats().compactions, 0u);
  }
  uint64_t compactions = 0;
  {
    OpenStore s(compacted.path(), compactingAt(16 * 1024));
    deliveryWorkload(s, 3000);
    EXPECT_EQ(describeSubs(*s.channel("orders")->subs), expected);
    compactions = s.store->stats().compactions;
  }
  const uint64_t grownSize = fileSize(grown / "orders/subs.dat");
  const uint64_t compactedSize = fileSize(compacted / "orders/subs.dat");
  std::printf(
      "subs.dat after 3 x 3000 deliveries: %llu bytes uncompacted, %llu compacted "
      "(%llu compactions)\n",
      static_cast<unsigned long long>(grownSize), static_cast<unsigned long long>(compactedSize),
      static_cast<unsigned long long>(compactions));
  EXPECT_GT(compactions, 0u);
  EXPECT_GT(grownSize, 100u * 1024);
  // Never far above the threshold: at most min size plus what one flush interval appends.
  EXPECT_LT(compactedSize, 2u * 16 * 1024);
  EXPECT_FALSE(fileExists(compacted / "orders/subs.dat.tmp"));

  // Both directories recover the same live state: positions, pending unacked sequences,
  // durable names, the superseding update.
  for (const TempDir* dir : {&grown, &compacted}) {
    OpenStore s(dir->path(), compactingAt(16 * 1024));
    Channel* ch = s.store->lookupChannel("orders");
    ASSERT_NE(ch, nullptr);
    EXPECT_EQ(describeSubs(*ch->subs), expected);
    const auto& subs = ch->subs->subscriptions();
    ASSERT_EQ(subs.size(), 3u);
    EXPECT_EQ(subs.begin()->second.state.durable_name(), "dur-a");
    EXPECT_TRUE(subs.begin()->second.state.is_closed());
    EXPECT_EQ(subs.begin()->second.state.last_sent(), 3000u);
    EXPECT_EQ(subs.begin()->second.pending.size(), 3000u / 97);
    // The deleted subscription had the highest id: it is never handed out again.
    stan::SubState next;
    ASSERT_EQ(ch->subs->createSub(next), StoreStatus::Ok);
    EXPECT_EQ(next.id(), 5u);
  }
}

TEST(FileStoreCompaction, DefaultOptionsOnABusySubscription) {
  // The measurement in docs/file-store-format.md: one durable subscription receiving and
  // acking 1000 messages a second (store clock) for 400 s, 10 left unacked; default options
  // (1 MB minimum, 50 %, at most one compaction per file every 5 minutes).
  TempDir on, off;
  FileStoreOptions disabled;
  disabled.compact_enabled = false;
  constexpr uint64_t kDeliveries = 400000;
  uint64_t sizes[2] = {0, 0};
  uint64_t peak = 0;
  int i = 0;
  for (auto [dir, options] : {std::pair{&off, disabled}, std::pair{&on, FileStoreOptions{}}}) {
    OpenStore s(dir->path(), options);
    Channel* ch = s.channel("metrics");
    stan::SubState sub;
    sub.set_client_id("c");
    sub.set_durable_name("d");
    ASSERT_EQ(ch->subs->createSub(sub), StoreStatus::Ok);
    for (uint64_t seq = 1; seq <= kDeliveries; ++seq) {
      ASSERT_EQ(ch->subs->addSeqPending(sub.id(), seq), StoreStatus::Ok);
      if (seq <= kDeliveries - 10)
        ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), seq), StoreStatus::Ok);
      if (seq % 1000 == 0) {
        s.flush();
        s.nowNs += 1'000'000'000;
        if (i == 1) peak = std::max<uint64_t>(peak, fileSize(dir->path() + "/metrics/subs.dat"));
      }
    }
    s.flush();
    sizes[i++] = fileSize(dir->path() + "/metrics/subs.dat");
  }
  std::printf(
      "subs.dat after 400000 deliveries+acks (1000/s for 400 s), default options: "
      "%llu bytes without compaction; with: %llu at the end, %llu at the peak\n",
      static_cast<unsigned long long>(sizes[0]), static_cast<unsigned long long>(sizes[1]),
      static_cast<unsigned long long>(peak));
  EXPECT_GT(sizes[0], 10u * 1024 * 1024);
  EXPECT_LT(sizes[1], sizes[0] / 4);
  EXPECT_LT(peak, sizes[0]);
  OpenStore s(on.path(), FileStoreOptions{});
  const auto& subs = s.store->lookupChannel("metrics")->subs->subscriptions();
  ASSERT_EQ(subs.size(), 1u);
  std::set<uint64_t> unacked;
  for (uint64_t seq = kDeliveries - 9; seq <= kDeliveries; ++seq) unacked.insert(seq);
  EXPECT_EQ(subs.begin()->second.pending, unacked);
  EXPECT_EQ(subs.begin()->second.state.last_sent(), kDeliveries);
  EXPECT_EQ(subs.begin()->second.state.durable_name(), "d");
}

TEST(FileStoreCompaction, ClientsDatAfterManyConnectsRecoversTheLiveClients) {
  TempDir dir;
  std::string expected;
  uint64_t grewTo = 0;
  {
    OpenStore s(dir.path(), compactingAt(4 * 1024));
    for (int i = 0; i < 2000; ++i) {
      stan::ClientInfo c;
      c.set_id("cycle-" + std::to_string(i % 7));
      c.set_hb_inbox("_INBOX.hb." + std::to_string(i));
      c.set_conn_id("conn-" + std::to_string(i));
      c.set_protocol(1);
      ASSERT_EQ(s.store->addClient(c), StoreStatus::Ok);
      // Every client but the last three connections closes again.
      if (i < 1997) ASSERT_EQ(s.store->deleteClient(c.id()), StoreStatus::Ok);
      if (i % 50 == 0) s.flush();
      grewTo = std::max<uint64_t>(grewTo, fileSize(dir / "clients.dat"));
    }
    s.flush();
    expected = describeClients(*s.store);
    EXPECT_GT(s.store->stats().compactions, 0u);
    EXPECT_GT(s.store->stats().compaction_bytes_reclaimed, 0u);
  }
  EXPECT_LT(fileSize(dir / "clients.dat"), 8u * 1024);
  EXPECT_FALSE(fileExists(dir / "clients.dat.tmp"));
  OpenStore s(dir.path(), compactingAt(4 * 1024));
  EXPECT_EQ(describeClients(*s.store), expected);
  ASSERT_EQ(s.store->clients().size(), 3u);
  EXPECT_EQ(s.store->clients().at("cycle-2").conn_id(), "conn-1997");  // 1997 % 7 == 2
}

// A crash between writing the temporary file and the rename leaves "<file>.tmp" beside the
// complete old file: recovery must use the old file and remove the temporary one, whatever
// the temporary file holds (complete, torn, garbage).
TEST(FileStoreCompaction, InterruptedCompactionRecoversTheOldFileAndDropsTheTemp) {
  TempDir base, other;
  std::string expectedSubs, expectedClients, otherSubs;
  {
    OpenStore s(base.path(), compactingAt(1LL << 40));  // never compacts
    deliveryWorkload(s, 300);
    stan::ClientInfo c;
    c.set_id("alive");
    ASSERT_EQ(s.store->addClient(c), StoreStatus::Ok);
    s.flush();
    expectedSubs = describeSubs(*s.channel("orders")->subs);
    expectedClients = describeClients(*s.store);
  }
  {
    // A complete compacted image of a *different* state: if recovery used it, we would see.
    OpenStore s(other.path(), compactingAt(1LL << 40));
    deliveryWorkload(s, 10);
    otherSubs = static_cast<FileSubStore*>(s.channel("orders")->subs.get())->compactedBytes();
  }
  const std::string torn = otherSubs.substr(0, otherSubs.size() - 3);
  for (const std::string& tmp : {otherSubs, torn, std::string("garbage")}) {
    SCOPED_TRACE("temp file of " + std::to_string(tmp.size()) + " bytes");
    TempDir dir;
    std::filesystem::copy(base.path(), dir.path(), std::filesystem::copy_options::recursive);
    writeFile(dir / "orders/subs.dat.tmp", tmp);
    writeFile(dir / "clients.dat.tmp", std::string("\x01\0\0\0", 4));  // no clients at all
    OpenStore s(dir.path(), compactingAt(1LL << 40));
    EXPECT_EQ(describeSubs(*s.store->lookupChannel("orders")->subs), expectedSubs);
    EXPECT_EQ(describeClients(*s.store), expectedClients);
    EXPECT_FALSE(fileExists(dir / "orders/subs.dat.tmp"));
    EXPECT_FALSE(fileExists(dir / "clients.dat.tmp"));
  }
}

TEST(FileStoreCompaction, ThresholdsAreHonoured) {
  // Below the minimum size: mostly obsolete, but small — never rewritten.
  {
    TempDir dir;
    OpenStore s(dir.path(), compactingAt(1024 * 1024));
    deliveryWorkload(s, 1000);
    EXPECT_EQ(s.store->stats().compactions, 0u);
  }
  // Disabled: never rewritten.
  {
    TempDir dir;
    FileStoreOptions f = compactingAt(1024);
    f.compact_enabled = false;
    OpenStore s(dir.path(), f);
    deliveryWorkload(s, 1000);
    EXPECT_EQ(s.store->stats().compactions, 0u);
  }
  // Below the fragmentation: big enough, but most records are live (nothing acked).
  {
    TempDir dir;
    OpenStore s(dir.path(), compactingAt(1024, 50));
    Channel* ch = s.channel("orders");
    stan::SubState sub;
    ASSERT_EQ(ch->subs->createSub(sub), StoreStatus::Ok);
    for (uint64_t seq = 1; seq <= 3000; ++seq) {
      ASSERT_EQ(ch->subs->addSeqPending(sub.id(), seq), StoreStatus::Ok);
      if (seq % 3 == 0) ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), seq), StoreStatus::Ok);
      if (seq % 100 == 0) s.flush();
    }
    // 3000 sent + 1000 acks + 1 create: 2000 obsolete of 4001 records, just under 50 %.
    EXPECT_EQ(s.store->stats().compactions, 0u);
    ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), 1), StoreStatus::Ok);
    ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), 2), StoreStatus::Ok);
    s.flush();
    EXPECT_EQ(s.store->stats().compactions, 1u);  // now 2004 of 4003: over the threshold
  }
  // The interval: once compacted, a file waits compact_interval (on the store clock) before
  // the next rewrite, however fragmented it gets meanwhile.
  {
    TempDir dir;
    FileStoreOptions f = compactingAt(1024);
    f.compact_interval = std::chrono::minutes(5);
    OpenStore s(dir.path(), f);
    Channel* ch = s.channel("orders");
    stan::SubState sub;
    ASSERT_EQ(ch->subs->createSub(sub), StoreStatus::Ok);
    auto churn = [&] {
      for (uint64_t seq = 1; seq <= 500; ++seq) {
        ASSERT_EQ(ch->subs->addSeqPending(sub.id(), seq), StoreStatus::Ok);
        ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), seq), StoreStatus::Ok);
      }
      s.flush();
    };
    churn();
    EXPECT_EQ(s.store->stats().compactions, 1u);
    const uint64_t after = fileSize(dir / "orders/subs.dat");
    s.nowNs += std::chrono::nanoseconds(std::chrono::minutes(4)).count();
    churn();
    EXPECT_EQ(s.store->stats().compactions, 1u);
    EXPECT_GT(fileSize(dir / "orders/subs.dat"), after);
    s.nowNs += std::chrono::nanoseconds(std::chrono::minutes(1)).count();
    churn();
    EXPECT_EQ(s.store->stats().compactions, 2u);
  }
}

// Records appended right after a compaction go to the new file and survive a restart; the
// flushes that were waiting while the file was replaced all complete with Ok.
TEST(FileStoreCompaction, AppendsAfterACompactionLandInTheNewFile) {
  TempDir dir;
  std::string expected;
  {
    OpenStore s(dir.path(), compactingAt(1024));
    Channel* ch = s.channel("orders");
    stan::SubState sub;
    ASSERT_EQ(ch->subs->createSub(sub), StoreStatus::Ok);
    int ok = 0;
    constexpr int kFlushes = 200;
    for (uint64_t seq = 1; seq <= kFlushes * 10; ++seq) {
      ASSERT_EQ(ch->subs->addSeqPending(sub.id(), seq), StoreStatus::Ok);
      if (seq % 5 != 0) ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), seq), StoreStatus::Ok);
      if (seq % 10 == 0) s.store->flush([&](StoreStatus st) { ok += st == StoreStatus::Ok; });
      if (seq % 250 == 0) s.store->submitBatch();  // a batch mid-way, like a loop iteration
    }
    ASSERT_TRUE(s.loop.runUntil([&] { return ok == kFlushes; }, std::chrono::seconds(10)));
    EXPECT_GT(s.store->stats().compactions, 0u);
    expected = describeSubs(*ch->subs);
  }
  OpenStore s(dir.path(), compactingAt(1024));
  EXPECT_EQ(describeSubs(*s.store->lookupChannel("orders")->subs), expected);
}

// With sync_on_flush off nothing else is fsync'ed, but a compaction still syncs its new file
// and the directory around the rename: losing power must not turn a complete file into an
// empty one.
TEST(FileStoreCompaction, WithSyncOffTheRewriteIsStillSynced) {
  TempDir dir;
  FileStoreOptions f = compactingAt(1024);
  f.sync_on_flush = false;
  std::string expected;
  {
    OpenStore s(dir.path(), f);
    Channel* ch = s.channel("orders");
    stan::SubState sub;
    sub.set_durable_name("d");
    ASSERT_EQ(ch->subs->createSub(sub), StoreStatus::Ok);
    for (uint64_t seq = 1; seq <= 500; ++seq) {
      ASSERT_EQ(ch->subs->addSeqPending(sub.id(), seq), StoreStatus::Ok);
      if (seq != 250) ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), seq), StoreStatus::Ok);
    }
    s.flush();
    EXPECT_EQ(s.store->stats().compactions, 1u);
    EXPECT_EQ(s.store->stats().fsyncs, 2u);  // the new subs.dat and its directory
    EXPECT_FALSE(fileExists(dir / "orders/subs.dat.tmp"));
    expected = describeSubs(*ch->subs);
  }
  OpenStore s(dir.path(), f);
  EXPECT_EQ(describeSubs(*s.store->lookupChannel("orders")->subs), expected);
}

// A channel deleted while its subs.dat compaction waits for the sync worker's rename: the
// directory is gone afterwards and a new channel of that name starts empty.
TEST(FileStoreCompaction, DeletingAChannelWithACompactionInFlight) {
  TempDir dir;
  OpenStore s(dir.path(), compactingAt(1024));
  Channel* ch = s.channel("orders");
  stan::SubState sub;
  ASSERT_EQ(ch->subs->createSub(sub), StoreStatus::Ok);
  for (uint64_t seq = 1; seq <= 500; ++seq) {
    ASSERT_EQ(ch->subs->addSeqPending(sub.id(), seq), StoreStatus::Ok);
    ASSERT_EQ(ch->subs->ackSeqPending(sub.id(), seq), StoreStatus::Ok);
  }
  bool done = false;
  StoreStatus status = StoreStatus::Closed;
  s.store->flush([&](StoreStatus st) { done = true, status = st; });
  s.store->submitBatch();  // the compaction's rename is now queued in the worker
  EXPECT_EQ(s.store->stats().compactions, 1u);
  ASSERT_EQ(s.store->deleteChannel("orders"), StoreStatus::Ok);
  ASSERT_TRUE(s.loop.runUntil([&] { return done; }, std::chrono::seconds(10)));
  EXPECT_EQ(status, StoreStatus::Ok);
  EXPECT_FALSE(fileExists(dir / "orders"));
  EXPECT_EQ(s.channel("orders")->subs->count(), 0u);
}

}  // namespace
}  // namespace ftgate::store
