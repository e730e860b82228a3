#include "common/net/heap_retention.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstring>
#include <memory>
#include <vector>

namespace ftgate::net {
namespace {

using namespace std::chrono_literals;

size_t mappedHeapBytes() { return mallinfo2().arena; }

// A burst as a slow consumer makes it: 64 MB queued in 64 KB chunks, then all freed.
void burst() {
  std::vector<std::unique_ptr<char[]>> chunks;
  for (int i = 0; i < 1024; ++i) {
    chunks.emplace_back(new char[64 * 1024]);
    std::memset(chunks.back().get(), 'x', 64 * 1024);
  }
}

TEST(HeapRetentionTest, KeepsABurstsMemoryMappedThenReturnsItOnceIdle) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan replaces glibc's malloc: there is no glibc heap to keep or trim";
#else
  EventLoop loop;
  HeapRetention retention(loop, 50ms);
  burst();
  // Freed, but still mapped: the next burst takes no page faults.
  EXPECT_GE(mappedHeapBytes(), 48u * 1024 * 1024);
  EXPECT_EQ(retention.trims(), 0u);

  ASSERT_TRUE(loop.runUntil([&] { return retention.trims() == 1; }, 5s));
  EXPECT_LT(mappedHeapBytes(), 16u * 1024 * 1024);
#endif
}

TEST(HeapRetentionTest, DoesNotTrimWhileTheHeapKeepsGrowing) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan replaces glibc's malloc: there is no glibc heap to keep or trim";
#else
  EventLoop loop;
  HeapRetention retention(loop, 50ms);
  std::vector<std::unique_ptr<char[]>> held;
  Timer grow(loop);
  int ticks = 0;
  grow.startRepeating(20ms, [&] {
    // Every tick holds 8 MB more: the heap is growing, a burst is running.
    for (int i = 0; i < 128; ++i) {
      held.emplace_back(new char[64 * 1024]);
      std::memset(held.back().get(), 'x', 64 * 1024);
    }
    if (++ticks == 15) grow.cancel();
  });
  ASSERT_TRUE(loop.runUntil([&] { return ticks == 15; }, 5s));
  EXPECT_EQ(retention.trims(), 0u);
#endif
}

}  // namespace
}  // namespace ftgate::net
