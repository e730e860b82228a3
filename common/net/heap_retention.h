// HeapRetention: keeps freed heap pages mapped across bursts and hands them back when idle.
//
// Why: a broker or gateway queues megabytes for a consumer slower than its producer, then frees
// them. glibc returns the free top of the heap to the kernel as soon as it passes 128 KB, so the
// next burst takes one page fault (and a page zeroed by the kernel) per 4 KB again. Measured on
// ftbroker, 1 pub -> 1 sub at 128 B: about 18 000 faults per 2 M messages, more than half of the
// broker's CPU time. With the pages kept, that is 0 faults and the broker's CPU time per message
// drops by about 60 % (docs/benchmarks.md).
//
// So: glibc keeps up to kRetainBytes of freed heap, and a timer gives it all back
// (malloc_trim) once a whole idle interval passed without the heap growing, the way Go's
// scavenger returns memory some time after a burst. Only the loop thread's arena (the main
// arena) is concerned: all queues live on the loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "common/net/event_loop.h"
#include "common/net/timer.h"

namespace ftgate::net {

class HeapRetention {
 public:
  // Freed heap kept mapped between bursts (glibc's M_TRIM_THRESHOLD).
  static constexpr size_t kRetainBytes = 256u * 1024 * 1024;
  // Blocks at least this big get their own mmap (returned at free); smaller ones come from the
  // heap (glibc's M_MMAP_THRESHOLD; its default, 128 KB, would put read buffers in mmap).
  static constexpr size_t kMmapThresholdBytes = 1024 * 1024;
  // Heap grown this much per sbrk (glibc's M_TOP_PAD): fewer brk calls during a burst.
  static constexpr size_t kGrowStepBytes = 4u * 1024 * 1024;
  // A heap that did not grow for this long is trimmed.
  static constexpr std::chrono::milliseconds kIdleInterval{10000};

  // Sets the allocator policy for the process and starts the idle trim on `loop`. Construct one,
  // early in main(), on the thread that runs the loop.
  explicit HeapRetention(EventLoop& loop, std::chrono::milliseconds idleInterval = kIdleInterval);
  ~HeapRetention();
  HeapRetention(const HeapRetention&) = delete;
  HeapRetention& operator=(const HeapRetention&) = delete;

  // How many times the retained heap was handed back (for tests and logs).
  [[nodiscard]] size_t trims() const { return trims_; }

 private:
  void onTick();

  Timer timer_;
  std::chrono::milliseconds idleInterval_;
  size_t lastArenaBytes_ = 0;
  bool trimmedSinceGrowth_ = true;
  size_t trims_ = 0;
};

}  // namespace ftgate::net
