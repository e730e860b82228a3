#include "common/net/timer.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/net/signal_watcher.h"

namespace ftgate::net {
namespace {

using namespace std::chrono_literals;

TEST(TimerTest, OneShotFiresOnceAfterItsDelay) {
  EventLoop loop;
  Timer timer(loop);
  int fired = 0;
  loop.updateTime();
  uint64_t started = loop.now();
  uint64_t firedAt = 0;
  timer.startOnce(20ms, [&] {
    ++fired;
    firedAt = loop.now();
  });
  EXPECT_TRUE(timer.armed());
  loop.run();  // nothing else keeps the loop alive: returns after the one shot
  EXPECT_EQ(fired, 1);
  EXPECT_GE(firedAt - started, 20u);
  EXPECT_FALSE(timer.armed());
}

TEST(TimerTest, RepeatingFiresUntilCancelled) {
  EventLoop loop;
  Timer timer(loop);
  int fired = 0;
  timer.startRepeating(1ms, [&] {
    if (++fired == 5) timer.cancel();
  });
  loop.run();
  EXPECT_EQ(fired, 5);
}

TEST(TimerTest, AnUnrefedTimerDoesNotKeepTheLoopRunning) {
  EventLoop loop;
  Timer housekeeping(loop);
  int fired = 0;
  housekeeping.startRepeating(1h, [&] { ++fired; });
  housekeeping.unref();
  EXPECT_TRUE(housekeeping.armed());
  loop.run();  // returns at once: nothing but the unrefed timer is active
  EXPECT_EQ(fired, 0);
}

TEST(TimerTest, CloseInsideItsOwnCallbackAndDestroyLater) {
  EventLoop loop;
  auto timer = std::make_unique<Timer>(loop);
  int fired = 0;
  timer->startRepeating(1ms, [&] {
    ++fired;
    timer->close();
    timer->close();  // idempotent
  });
  loop.run();
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(timer->closed());
  timer.reset();
  EXPECT_EQ(loop.openHandleCount(), 0u);
  EXPECT_EQ(loop.close(), 0);
}

TEST(TimerTest, DestroyingAnArmedTimerMeansNoCallback) {
  EventLoop loop;
  bool fired = false;
  {
    Timer timer(loop);
    timer.startOnce(0ms, [&] { fired = true; });
  }
  loop.run();
  EXPECT_FALSE(fired);
  EXPECT_EQ(loop.close(), 0);
}

TEST(TimerTest, LoopCloseClosesTimersThatOutliveIt) {
  auto loop = std::make_unique<EventLoop>();
  Timer timer(*loop);
  timer.startRepeating(1000ms, [] {});
  EXPECT_EQ(loop->openHandleCount(), 1u);
  EXPECT_EQ(loop->close(), 0);
  EXPECT_TRUE(timer.closed());
  loop.reset();
  timer.close();  // harmless after the loop is gone
}

TEST(SignalWatcherTest, DeliversSignalOnTheLoop) {
  EventLoop loop;
  SignalWatcher signals(loop);
  int received = 0;
  ASSERT_EQ(signals.watch({SIGHUP, SIGUSR1}, [&](int signum) { received = signum; }), 0);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_TRUE(loop.runUntil([&] { return received != 0; }, 5000ms));
  EXPECT_EQ(received, SIGUSR1);
  signals.close();
  EXPECT_EQ(loop.openHandleCount(), 0u);
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace ftgate::net
