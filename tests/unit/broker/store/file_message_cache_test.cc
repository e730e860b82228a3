// The file store's recent-message cache: deliveries of messages stored within the last second
// (and within the byte bound) are served from memory without reading the .dat; older ones,
// and those pushed out by the byte bound, are read back from disk intact.
#include <gtest/gtest.h>

#include "broker/store/file_message_store.h"
#include "tests/unit/broker/store/store_test_support.h"

namespace ftgate::store {
namespace {
using namespace testing;

class FileMessageCache : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.limits.channel.max_msgs = 0;
    o.limits.channel.max_bytes = 0;
    o.now_ns = [this] { return now_; };
    store_ = std::make_unique<FileStore>(loop_, dir_.path(), o);
    RecoveredState state;
    ASSERT_EQ(store_->recover(&state), StoreStatus::Ok);
    ASSERT_EQ(store_->createChannel("foo", &channel_), StoreStatus::Ok);
    msgs_ = dynamic_cast<FileMessageStore*>(channel_->msgs.get());
    ASSERT_NE(msgs_, nullptr);
  }
  void TearDown() override {
    store_->close();
    EXPECT_EQ(loop_.close(), 0);
  }
  uint64_t storeOne(const std::string& data) {
    uint64_t seq = 0;
    EXPECT_EQ(msgs_->store(makeMsg("foo", data), &seq), StoreStatus::Ok);
    return seq;
  }
  static std::string payload(uint64_t seq, size_t size = 128) {
    std::string s = std::to_string(seq) + ":";
    s.resize(size, 'p');
    return s;
  }

  TempDir dir_;
  net::EventLoop loop_;
  int64_t now_ = 1'000'000'000'000;
  StorePtr store_;
  Channel* channel_ = nullptr;
  FileMessageStore* msgs_ = nullptr;
};

// 20 000 messages (more than a publisher's 16 384 PubAcks in flight) stored within one second:
// every one of them is delivered from memory, before and after they reach the disk.
TEST_F(FileMessageCache, MessagesWithinTheWindowAreNotReadFromTheFile) {
  constexpr uint64_t kCount = 20000;
  for (uint64_t i = 1; i <= kCount; ++i) {
    storeOne(payload(i));
    now_ += 10'000;  // 10 µs apart: 0.2 s in all
  }
  ASSERT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
  for (uint64_t seq = 1; seq <= kCount; ++seq) {
    MsgPtr m = msgs_->lookup(seq);
    ASSERT_TRUE(m) << seq;
    ASSERT_EQ(m->sequence(), seq);
    ASSERT_EQ(m->data(), payload(seq));
  }
  const auto st = msgs_->readStats();
  EXPECT_EQ(st.disk_reads, 0u);
  EXPECT_EQ(st.cache_hits, kCount);
  EXPECT_EQ(st.cached_msgs, kCount);
  EXPECT_LE(st.cached_bytes, FileMessageStore::kRecentMaxBytes);
}

// Messages stored more than a second before the newest one leave the cache and are read back
// from the .dat (buffered or written) with their content, sequence and timestamp.
TEST_F(FileMessageCache, OlderMessagesAreReadBackFromDisk) {
  for (uint64_t i = 1; i <= 10; ++i) storeOne(payload(i));
  const int64_t firstTs = now_;
  now_ += 2 * FileMessageStore::kRecentMaxAgeNs;
  storeOne(payload(11));
  EXPECT_EQ(msgs_->readStats().cached_msgs, 1u);
  // Still in the user-space buffer, then on disk.
  for (int round = 0; round < 2; ++round) {
    for (uint64_t seq = 1; seq <= 11; ++seq) {
      MsgPtr m = msgs_->lookup(seq);
      ASSERT_TRUE(m) << seq;
      EXPECT_EQ(m->data(), payload(seq));
      EXPECT_EQ(m->sequence(), seq);
      if (seq <= 10) EXPECT_EQ(m->timestamp(), firstTs);
    }
    ASSERT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
  }
  const auto st = msgs_->readStats();
  EXPECT_EQ(st.disk_reads, 20u);
  EXPECT_EQ(st.cache_hits, 2u);
}

// An idle channel's cache ages out at the next write round, without a new store.
TEST_F(FileMessageCache, IdleCacheAgesOutOnTheNextWriteRound) {
  for (uint64_t i = 1; i <= 100; ++i) storeOne(payload(i));
  ASSERT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
  EXPECT_EQ(msgs_->readStats().cached_msgs, 100u);
  now_ += 2 * FileMessageStore::kRecentMaxAgeNs;
  ASSERT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
  EXPECT_EQ(msgs_->readStats().cached_msgs, 1u);  // the newest stays
  EXPECT_EQ(msgs_->lookup(50)->data(), payload(50));
  EXPECT_EQ(msgs_->readStats().disk_reads, 1u);
}

// Large messages: the cache never holds more than kRecentMaxBytes; what it dropped is read
// back from disk.
TEST_F(FileMessageCache, ByteBoundHoldsForLargeMessages) {
  constexpr size_t kSize = 1024 * 1024;
  constexpr uint64_t kCount = 24;  // 24 MiB stored
  for (uint64_t i = 1; i <= kCount; ++i) {
    storeOne(payload(i, kSize));
    EXPECT_LE(msgs_->readStats().cached_bytes, FileMessageStore::kRecentMaxBytes);
  }
  ASSERT_EQ(flushAndWait(loop_, *store_), StoreStatus::Ok);
  const auto before = msgs_->readStats();
  EXPECT_LT(before.cached_msgs, kCount);
  EXPECT_GE(before.cached_msgs, 4u);
  for (uint64_t seq = 1; seq <= kCount; ++seq)
    ASSERT_EQ(msgs_->lookup(seq)->data(), payload(seq, kSize));
  const auto after = msgs_->readStats();
  EXPECT_EQ(after.disk_reads, kCount - before.cached_msgs);
  EXPECT_EQ(after.cache_hits, before.cached_msgs);
}

// Limits drop messages from the cache as from the files: nothing removed is ever returned.
TEST(FileMessageCacheLimits, RemovedMessagesLeaveTheCache) {
  TempDir dir;
  net::EventLoop loop;
  StoreOptions o;
  o.limits.channel.max_msgs = 5;
  o.limits.channel.max_age = std::chrono::seconds(10);
  int64_t now = 1'000'000'000'000;
  o.now_ns = [&now] { return now; };
  {
    FileStore store(loop, dir.path(), o);
    RecoveredState state;
    ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
    Channel* ch = nullptr;
    ASSERT_EQ(store.createChannel("foo", &ch), StoreStatus::Ok);
    auto* msgs = dynamic_cast<FileMessageStore*>(ch->msgs.get());
    ASSERT_NE(msgs, nullptr);
    uint64_t seq = 0;
    for (int i = 1; i <= 8; ++i)
      ASSERT_EQ(msgs->store(makeMsg("foo", "m" + std::to_string(i)), &seq), StoreStatus::Ok);
    EXPECT_EQ(msgs->readStats().cached_msgs, 5u);
    EXPECT_FALSE(msgs->lookup(3));
    EXPECT_EQ(msgs->lookup(4)->data(), "m4");
    now += std::chrono::nanoseconds(std::chrono::seconds(11)).count();
    msgs->expireMessages();
    EXPECT_EQ(msgs->count(), 0u);
    EXPECT_FALSE(msgs->lookup(8));
    EXPECT_EQ(msgs->readStats().cached_msgs, 0u);
    ASSERT_EQ(msgs->store(makeMsg("foo", "m9"), &seq), StoreStatus::Ok);
    EXPECT_EQ(seq, 9u);
    EXPECT_EQ(msgs->lookup(9)->data(), "m9");
    EXPECT_EQ(msgs->readStats().disk_reads, 0u);
    store.close();
  }
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace ftgate::store
