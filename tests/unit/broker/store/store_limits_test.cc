// Limits (max_msgs, max_bytes, max_age drop the oldest; max_channels, max_subs refuse),
// per-channel overrides, and slice rolling in the file store.
#include <gtest/gtest.h>

#include "broker/store/record_format.h"
#include "tests/unit/broker/store/store_test_support.h"

namespace ftgate::store {
namespace {
using namespace testing;

class StoreLimits : public ::testing::TestWithParam<bool> {  // true: file store
 protected:
  StorePtr open(StoreOptions options) {
    options.now_ns = [this] { return now_; };
    StorePtr s;
    if (GetParam()) {
      s = std::make_unique<FileStore>(loop_, dir_.path(), options);
    } else {
      s = std::make_unique<MemoryStore>(options);
    }
    RecoveredState state;
    EXPECT_EQ(s->recover(&state), StoreStatus::Ok);
    return s;
  }
  void TearDown() override { EXPECT_EQ(loop_.close(), 0); }
  TempDir dir_;
  net::EventLoop loop_;
  int64_t now_ = 1'000'000'000'000;
};

TEST_P(StoreLimits, MaxMsgsDropsTheOldest) {
  StoreOptions o;
  o.limits.channel.max_msgs = 3;
  StorePtr s = open(o);
  Channel* ch = nullptr;
  ASSERT_EQ(s->createChannel("foo", &ch), StoreStatus::Ok);
  uint64_t seq = 0;
  for (int i = 1; i <= 5; ++i)
    ASSERT_EQ(ch->msgs->store(makeMsg("foo", "x" + std::to_string(i)), &seq), StoreStatus::Ok);
  EXPECT_EQ(ch->msgs->count(), 3u);
  EXPECT_EQ(ch->msgs->firstSequence(), 3u);
  EXPECT_EQ(ch->msgs->lastSequence(), 5u);
  EXPECT_FALSE(ch->msgs->lookup(2));
  EXPECT_EQ(ch->msgs->lookup(3)->data(), "x3");
}

TEST_P(StoreLimits, MaxBytesDropsTheOldestButKeepsTheNewest) {
  StoreOptions o;
  o.limits.channel.max_bytes = 1;  // smaller than any message
  StorePtr s = open(o);
  Channel* ch = nullptr;
  ASSERT_EQ(s->createChannel("foo", &ch), StoreStatus::Ok);
  uint64_t seq = 0;
  for (int i = 1; i <= 4; ++i)
    ASSERT_EQ(ch->msgs->store(makeMsg("foo", std::string(100, 'a')), &seq), StoreStatus::Ok);
  EXPECT_EQ(ch->msgs->count(), 1u);
  EXPECT_EQ(ch->msgs->firstSequence(), 4u);
}

TEST_P(StoreLimits, MaxAgeExpiresWithTheInjectedClock) {
  StoreOptions o;
  o.limits.channel.max_age = std::chrono::seconds(10);
  StorePtr s = open(o);
  Channel* ch = nullptr;
  ASSERT_EQ(s->createChannel("foo", &ch), StoreStatus::Ok);
  uint64_t seq = 0;
  ASSERT_EQ(ch->msgs->store(makeMsg("foo", "old"), &seq), StoreStatus::Ok);
  now_ += 6'000'000'000;
  ASSERT_EQ(ch->msgs->store(makeMsg("foo", "new"), &seq), StoreStatus::Ok);
  EXPECT_EQ(ch->msgs->expireMessages(), now_ - 6'000'000'000 + 10'000'000'000);
  EXPECT_EQ(ch->msgs->count(), 2u);
  now_ += 5'000'000'000;  // the first is 11 s old, the second 5 s
  EXPECT_EQ(ch->msgs->expireMessages(), now_ - 5'000'000'000 + 10'000'000'000);
  EXPECT_EQ(ch->msgs->count(), 1u);
  EXPECT_EQ(ch->msgs->firstSequence(), 2u);
  now_ += 10'000'000'000;
  EXPECT_EQ(ch->msgs->expireMessages(), 0);
  EXPECT_EQ(ch->msgs->count(), 0u);
  EXPECT_EQ(ch->msgs->firstSequence(), 3u) << "first == last + 1 when empty";
  EXPECT_EQ(ch->msgs->lastSequence(), 2u);
  ASSERT_EQ(ch->msgs->store(makeMsg("foo", "later"), &seq), StoreStatus::Ok);
  EXPECT_EQ(seq, 3u);
  EXPECT_EQ(ch->msgs->firstSequence(), 3u);
}

TEST_P(StoreLimits, MaxChannelsAndMaxSubsRefuse) {
  StoreOptions o;
  o.limits.max_channels = 2;
  o.limits.channel.max_subs = 1;
  o.limits.per_channel["big"].max_subs = 2;
  StorePtr s = open(o);
  Channel* a = nullptr;
  Channel* big = nullptr;
  Channel* c = nullptr;
  ASSERT_EQ(s->createChannel("a", &a), StoreStatus::Ok);
  ASSERT_EQ(s->createChannel("big", &big), StoreStatus::Ok);
  EXPECT_EQ(s->createChannel("c", &c), StoreStatus::TooManyChannels);
  stan::SubState sub;
  ASSERT_EQ(a->subs->createSub(sub), StoreStatus::Ok);
  EXPECT_EQ(a->subs->createSub(sub), StoreStatus::TooManySubs);
  ASSERT_EQ(big->subs->createSub(sub), StoreStatus::Ok);
  ASSERT_EQ(big->subs->createSub(sub), StoreStatus::Ok);
  EXPECT_EQ(big->subs->createSub(sub), StoreStatus::TooManySubs);
  EXPECT_EQ(big->limits.max_subs, 2);
  EXPECT_EQ(big->limits.max_msgs, 1000000) << "unset override fields inherit";
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreLimits, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "File" : "Memory"; });

TEST(FileStoreSlices, RollRecoverAndRemoveOldSlices) {
  TempDir dir;
  net::EventLoop loop;
  const std::string payload(60, 'p');
  StoreOptions o;
  o.file.slice_max_bytes = 500;  // about 4 messages per slice
  {
    FileStore store(loop, dir.path(), o);
    RecoveredState state;
    ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
    Channel* ch = nullptr;
    ASSERT_EQ(store.createChannel("foo", &ch), StoreStatus::Ok);
    uint64_t seq = 0;
    for (int i = 1; i <= 20; ++i)
      ASSERT_EQ(ch->msgs->store(makeMsg("foo", payload + std::to_string(i)), &seq),
                StoreStatus::Ok);
    ASSERT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
  }
  ASSERT_TRUE(fileExists(dir / "foo/msgs.1.dat"));
  ASSERT_TRUE(fileExists(dir / "foo/msgs.2.idx"));
  int slices = 0;
  while (fileExists(dir / ("foo/msgs." + std::to_string(slices + 1) + ".dat"))) ++slices;
  EXPECT_GE(slices, 4);
  // Each slice starts with the version and holds whole records only.
  EXPECT_EQ(readFile(dir / "foo/msgs.2.idx").size() % 32, 4u);
  o.limits.channel.max_msgs = 6;  // a restart with a smaller limit drops whole old slices
  {
    FileStore store(loop, dir.path(), o);
    RecoveredState state;
    ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
    Channel* ch = store.lookupChannel("foo");
    EXPECT_EQ(ch->msgs->count(), 6u);
    EXPECT_EQ(ch->msgs->firstSequence(), 15u);
    EXPECT_EQ(ch->msgs->lookup(15)->data(), payload + "15");
    EXPECT_EQ(ch->msgs->lookup(20)->data(), payload + "20");
    EXPECT_EQ(ch->msgs->sequenceFromTimestamp(0), 15u);
    ASSERT_EQ(flushAndWait(loop, store), StoreStatus::Ok);
  }
  EXPECT_FALSE(fileExists(dir / "foo/msgs.1.dat"));
  EXPECT_FALSE(fileExists(dir / "foo/msgs.1.idx"));
  EXPECT_TRUE(fileExists(dir / ("foo/msgs." + std::to_string(slices) + ".dat")));
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace ftgate::store
