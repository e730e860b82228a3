// Timer: a one-shot or repeating libuv timer owned by one object.
//
// The callback runs on the loop thread. close() (and the destructor) guarantee the callback
// never runs again; the uv handle itself is freed later in its close callback, so a Timer may
// be destroyed at any time, including from inside its own callback.
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>

#include "common/net/event_loop.h"

namespace ftgate::net {

class Timer {
 public:
  using Callback = std::function<void()>;

  explicit Timer(EventLoop& loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires once after `delay`. Restarting an armed timer replaces its schedule and callback.
  void startOnce(std::chrono::milliseconds delay, Callback callback);
  // Fires every `interval` (first after `interval`).
  void startRepeating(std::chrono::milliseconds interval, Callback callback);
  // From now on an armed timer alone does not keep the loop running (uv_unref): for housekeeping
  // that must not delay a shutdown.
  void unref();
  // Disarms; the timer can be started again.
  void cancel();
  // Disarms for good and releases the handle. Idempotent.
  void close();

  [[nodiscard]] bool armed() const;
  [[nodiscard]] bool closed() const { return box_ == nullptr; }

 private:
  struct Box;
  void start(uint64_t delayMs, uint64_t repeatMs, Callback callback);

  Box* box_ = nullptr;
};

}  // namespace ftgate::net
