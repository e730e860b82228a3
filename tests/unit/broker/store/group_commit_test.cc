// Group commit: many flush requests share few fsyncs, every callback runs, in order, on the
// loop thread; with sync_on_flush off no fsync happens at all.
#include <gtest/gtest.h>

#include <thread>

#include "tests/unit/broker/store/store_test_support.h"

namespace ftgate::store {
namespace {
using namespace testing;

TEST(GroupCommit, ManyFlushesFewFsyncs) {
  TempDir dir;
  net::EventLoop loop;
  FileStore store(loop, dir.path(), StoreOptions{});
  RecoveredState state;
  ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
  Channel* ch = nullptr;
  ASSERT_EQ(store.createChannel("foo", &ch), StoreStatus::Ok);
  constexpr int kFlushes = 2000;
  std::vector<int> order;
  const auto loopThread = std::this_thread::get_id();
  bool offLoop = false;
  for (int i = 0; i < kFlushes; ++i) {
    uint64_t seq = 0;
    ASSERT_EQ(ch->msgs->store(makeMsg("foo", std::string(128, 'x')), &seq), StoreStatus::Ok);
    store.flush([&, i](StoreStatus st) {
      EXPECT_EQ(st, StoreStatus::Ok);
      if (std::this_thread::get_id() != loopThread) offLoop = true;
      order.push_back(i);
    });
  }
  ASSERT_TRUE(
      loop.runUntil([&] { return order.size() == kFlushes; }, std::chrono::milliseconds(30000)));
  EXPECT_FALSE(offLoop);
  for (int i = 0; i < kFlushes; ++i) ASSERT_EQ(order[i], i);
  const StoreStats stats = store.stats();
  EXPECT_EQ(stats.flush_requests, static_cast<uint64_t>(kFlushes));
  EXPECT_LT(stats.sync_rounds, static_cast<uint64_t>(kFlushes / 10));
  EXPECT_GT(stats.fsyncs, 0u);
  std::printf("group commit: %d flushes -> %llu sync rounds, %llu fsyncs\n", kFlushes,
              static_cast<unsigned long long>(stats.sync_rounds),
              static_cast<unsigned long long>(stats.fsyncs));
  store.close();
  EXPECT_EQ(loop.close(), 0);
}

TEST(GroupCommit, NoSyncMeansNoFsyncButCallbacksStillRun) {
  TempDir dir;
  net::EventLoop loop;
  StoreOptions o;
  o.file.sync_on_flush = false;
  FileStore store(loop, dir.path(), o);
  RecoveredState state;
  ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
  int done = 0;
  for (int i = 0; i < 100; ++i) store.flush([&](StoreStatus st) { done += st == StoreStatus::Ok; });
  ASSERT_TRUE(loop.runUntil([&] { return done == 100; }, std::chrono::milliseconds(10000)));
  EXPECT_EQ(store.stats().fsyncs, 0u);
  store.close();
  EXPECT_EQ(loop.close(), 0);
}

TEST(GroupCommit, CloseRunsPendingCallbacks) {
  TempDir dir;
  net::EventLoop loop;
  int done = 0;
  {
    FileStore store(loop, dir.path(), StoreOptions{});
    RecoveredState state;
    ASSERT_EQ(store.recover(&state), StoreStatus::Ok);
    for (int i = 0; i < 10; ++i) store.flush([&](StoreStatus) { ++done; });
  }  // destroyed without running the loop
  EXPECT_EQ(done, 10);
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace ftgate::store
