#include "common/net/heap_retention.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

namespace ftgate::net {

namespace {

// Bytes the main arena holds from the kernel (in use or free).
size_t arenaBytes() {
  const struct mallinfo2 info = mallinfo2();
  return info.arena;
}

}  // namespace

HeapRetention::HeapRetention(EventLoop& loop, std::chrono::milliseconds idleInterval)
    : timer_(loop), idleInterval_(idleInterval) {
  // Setting either disables glibc's dynamic thresholds, so the mmap threshold is set too: 64 KB
  // output chunks and 128 KB read buffers must come from the heap, where they are reused; from
  // mmap every one would be fresh pages again.
  (void)mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes));
  (void)mallopt(M_TRIM_THRESHOLD, static_cast<int>(kRetainBytes));
  (void)mallopt(M_TOP_PAD, static_cast<int>(kGrowStepBytes));
  lastArenaBytes_ = arenaBytes();
  timer_.startRepeating(idleInterval_, [this] { onTick(); });
  timer_.unref();  // never holds up a shutdown
}

HeapRetention::~HeapRetention() { timer_.close(); }

void HeapRetention::onTick() {
  const size_t now = arenaBytes();
  if (now > lastArenaBytes_) {
    // Grew during this interval: a burst may still be running; look again next time.
    trimmedSinceGrowth_ = false;
  } else if (!trimmedSinceGrowth_) {
    (void)malloc_trim(0);
    trimmedSinceGrowth_ = true;
    ++trims_;
    spdlog::debug("heap idle for {} ms: returned freed memory ({} -> {} bytes mapped)",
                  idleInterval_.count(), now, arenaBytes());
  }
  lastArenaBytes_ = arenaBytes();
}

}  // namespace ftgate::net
