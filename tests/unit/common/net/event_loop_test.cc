#include "common/net/event_loop.h"

#include <gtest/gtest.h>

#include "common/net/timer.h"

namespace ftgate::net {
namespace {

using namespace std::chrono_literals;

TEST(EventLoopTest, EmptyLoopRunsAndClosesCleanly) {
  EventLoop loop;
  loop.run();
  EXPECT_EQ(loop.openHandleCount(), 0u);
  EXPECT_EQ(loop.close(), 0);
  EXPECT_EQ(loop.close(), 0);  // idempotent
}

TEST(EventLoopTest, RunUntilHonoursItsDeadline) {
  EventLoop loop;
  loop.updateTime();
  uint64_t started = loop.now();
  EXPECT_FALSE(loop.runUntil([] { return false; }, 30ms));
  EXPECT_GE(loop.now() - started, 30u);
  EXPECT_EQ(loop.close(), 0);
}

TEST(EventLoopTest, StopEndsRun) {
  EventLoop loop;
  Timer keepAlive(loop);
  keepAlive.startRepeating(1ms, [&] { loop.stop(); });
  loop.run();  // would never return without stop()
  keepAlive.close();
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace ftgate::net
