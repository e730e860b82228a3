// EventLoop: the owner of one uv_loop_t, the single-threaded heart of ftbroker and ftgate.
//
// Besides running the loop it batches output: a TcpConnection that was written to asks the
// loop for a flush, and the loop flushes every such connection once per iteration (after the
// I/O callbacks and again before blocking), so many small writes leave in one syscall.
// Destroying the loop closes every handle still open (their owners' close callbacks run) and
// then closes the uv_loop_t.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/net/closable_handle.h"

namespace ftgate::net {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until stop() or until nothing keeps the loop alive.
  void run();
  // Runs one iteration; blocks for I/O only when `block`. Returns true while work remains.
  bool runOnce(bool block = true);
  // Runs until `done()` is true or `timeout` (loop clock) passes. True when done() held.
  // Meant for tests and start-up sequences: waits for a condition, never sleeps blindly.
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // Makes run() return after the current iteration.
  void stop();
  // The loop clock in milliseconds (cached at the start of the iteration).
  [[nodiscard]] uint64_t now() const;
  void updateTime();

  // Handles of this library that are open and not closing (internal handles excluded).
  // Tests assert this is 0 once every owner has been destroyed.
  [[nodiscard]] size_t openHandleCount() const;
  // Closes every handle still open, lets their close callbacks run and closes the uv loop.
  // Returns 0 when the loop closed cleanly, else a libuv error (UV_EBUSY). Idempotent; the
  // destructor calls it.
  [[nodiscard]] int close();

  [[nodiscard]] uv_loop_t* raw() { return &loop_; }

  // Internal (TcpConnection): flush `target` at the end of this iteration.
  void deferFlush(std::shared_ptr<detail::Flushable> target);

 private:
  static void onFlushPhase(uv_handle_t* handle);
  void flushDeferred();

  uv_loop_t loop_{};
  uv_prepare_t prepare_{};
  uv_check_t check_{};
  bool closed_ = false;
  std::vector<std::shared_ptr<detail::Flushable>> deferred_;
  std::vector<std::shared_ptr<detail::Flushable>> flushing_;
};

}  // namespace ftgate::net
